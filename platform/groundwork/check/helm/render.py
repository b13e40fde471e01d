"""Render each Helm add-on as Argo CD would, and check its values against its chart.

For one add-on target: the chart at its pinned version (`charts.ChartCache`), the ApplicationSet's value files
for the environment (missing ones skipped where `ignoreMissingValueFiles` says so), then its `values` and
`valuesObject` with their Go templates evaluated by Helm's engine against the gate's cluster
(`policies/helm/cluster.yaml`), then `helm template <release> --namespace <ns> --kube-version <v>
--api-versions ... --include-crds`: Argo CD's own parameters. The documents go through the same stages as
every kustomize overlay's.

Helm refuses values that break the templates or violate the chart's `values.schema.json`: those are render
findings (`helm-template`, `helm-values-schema`). Where the chart has no schema, keys no template reads are
warnings with file and line (`keys.py`). A chart that cannot be had makes the add-on "not judged", by name.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groundwork.check.goenv import go_env
from groundwork.check.helm.addons import HelmAddon, env_file, helm_addons
from groundwork.check.helm.charts import ChartCache, ChartUnreachable
from groundwork.check.helm.keys import CHART_TEMPLATES, chart_reads, unread_keys
from groundwork.check.model import NO_ENV, Document, Finding, Stage, Target
from groundwork.errors import GroundworkError
from groundwork.gitops.versions import ChartPin, load_pins, versions_file
from groundwork.paths import ENVIRONMENTS, POLICIES_DIR

CLUSTER_FILE = Path(POLICIES_DIR) / "helm" / "cluster.yaml"
TEMPLATE_TIMEOUT_SECONDS = 300
UNREAD_RULE = "helm-unread-key"
SCHEMA_MARK = "values don't meet the specifications of the schema"

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class AddonRun:
    """What rendering the add-on targets gave: documents and findings per target, warnings, and the add-ons
    that could not be judged with the reason."""

    documents: dict[Target, list[Document]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    not_judged: list[tuple[Target, str]] = field(default_factory=list)


def render_addons(
    targets: Sequence[Target],
    root: Path,
    gitops: Path,
    helm: Path | None,
    kube_version: str,
    charts: ChartCache | None = None,
    helm_missing: str = "",
) -> AddonRun:
    run = AddonRun()
    if not targets:
        return run
    addons = {addon.name: addon for addon in helm_addons(gitops)}
    try:
        pins = load_pins(versions_file(root))
        cluster = _cluster(root)
    except GroundworkError as error:
        for target in targets:
            file = versions_file(root)
            run.findings.append(Finding.on_target(target, file, Stage.RENDER, "helm-addon", str(error)))
        return run
    for target in targets:
        addon = addons.get(target.app)
        pin = pins.get(addon.chart_key) if addon else None
        if addon is None or pin is None:
            message = f"its ApplicationSet names chart key '{addon.chart_key if addon else target.app}'"
            run.findings.append(
                Finding.on_target(
                    target, versions_file(root), Stage.RENDER, "helm-addon", f"{message}, which versions.yaml lacks"
                )
            )
            continue
        if helm is None:
            run.not_judged.append((target, helm_missing or "helm is not installed"))
            continue
        try:
            archive = (charts or ChartCache.default()).fetch(pin, helm)
        except ChartUnreachable as error:
            reason = f"chart {pin.chart} {pin.version} from {pin.repository} could not be pulled ({error})"
            run.not_judged.append((target, reason))
            continue
        _render_one(run, target, addon, pin, archive, root, helm, kube_version, cluster)
    return run


def _cluster(root: Path) -> dict[str, Any]:
    from groundwork.check.policy import find_policies  # the checked repository's policies, else groundwork's

    path = find_policies(root).base / CLUSTER_FILE
    try:
        cluster = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise GroundworkError(f"{path} cannot be read ({type(error).__name__})", "restore it from git") from None
    if not isinstance(cluster, dict) or not isinstance(cluster.get("metadata"), dict):
        raise GroundworkError(f"{path} is not a cluster description", "give it metadata.labels and annotations")
    return cluster


def _environment(target: Target, addon: HelmAddon, root: Path) -> str:
    if target.env != NO_ENV:
        return target.env
    own = {env for env in ENVIRONMENTS for f in addon.value_files if (root / env_file(f, env)).is_file()}
    return next((env for env in ENVIRONMENTS if env not in own), ENVIRONMENTS[0])


def _render_one(
    run: AddonRun,
    target: Target,
    addon: HelmAddon,
    pin: ChartPin,
    archive: Path,
    root: Path,
    helm: Path,
    kube_version: str,
    cluster: dict[str, Any],
) -> None:
    env = _environment(target, addon, root)
    files: list[Path] = []
    for name in addon.value_files:
        path = root / env_file(name, env)
        if path.is_file():
            files.append(path)
        elif not addon.ignore_missing:
            message = f"value file {env_file(name, env)} does not exist (the ApplicationSet requires it)"
            run.findings.append(Finding.on_target(target, addon.appset, Stage.RENDER, "helm-values", message))
            return
    blame = files[0] if files else addon.appset
    with tempfile.TemporaryDirectory(prefix="groundwork-helm-") as scratch:
        extra = _inline_values(addon, pin, cluster, env, helm, Path(scratch))
        if isinstance(extra, str):
            run.findings.append(Finding.on_target(target, addon.appset, Stage.RENDER, "helm-values", extra))
            return
        command = [str(helm), "template", addon.release, str(archive), "--namespace", addon.namespace]
        command += ["--kube-version", kube_version, "--include-crds"]
        for api in cluster.get("apiVersions") or []:
            command += ["--api-versions", str(api)]
        for path in [*files, *extra]:
            command += ["--values", str(path)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, check=False, env=go_env(), timeout=TEMPLATE_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            message = f"helm template did not finish in {TEMPLATE_TIMEOUT_SECONDS} s"
            run.findings.append(Finding.on_target(target, blame, Stage.RENDER, "helm-template", message))
            return
    chart = f"chart {pin.chart} {pin.version}"
    if done.returncode != 0:
        error = " ".join(done.stderr.split()).removeprefix("Error: ")[:800]
        rule = "helm-values-schema" if SCHEMA_MARK in error else "helm-template"
        run.findings.append(Finding.on_target(target, blame, Stage.RENDER, rule, f"{chart}: {error}"))
        return
    try:
        bodies = [b for b in yaml.load_all(done.stdout, Loader=_Loader) if isinstance(b, dict)]
    except yaml.YAMLError as error:
        message = f"{chart} rendered output that is not YAML: {str(error).splitlines()[0]}"
        run.findings.append(Finding.on_target(target, blame, Stage.RENDER, "helm-template", message))
        return
    run.documents[target] = [Document(target, blame, body) for body in bodies]
    content = archive.read_bytes()
    if not _has_schema(content):
        reads = chart_reads(content)
        for path in files:
            for key in unread_keys(path.read_text(encoding="utf-8"), reads):
                shown = ".".join(key.path)
                message = f"{shown} is read by no template of {chart}: Helm ignores it"
                run.warnings.append(
                    Finding(target.app, target.env, path, Stage.RENDER, UNREAD_RULE, message, "", target.path, key.line)
                )


def _has_schema(archive: bytes) -> bool:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return any(m.name.count("/") == 1 and m.name.endswith("/values.schema.json") for m in tar.getmembers())


def _inline_values(
    addon: HelmAddon, pin: ChartPin, cluster: dict[str, Any], env: str, helm: Path, scratch: Path
) -> list[Path] | str:
    """`helm.values` then `helm.valuesObject` as value files, their templates evaluated (Argo CD's order:
    valuesObject wins over values, both over the value files)."""
    texts = {name: text for name, text in (("values", addon.values), ("valuesObject", addon.values_object)) if text}
    if not texts:
        return []
    evaluated = _evaluate(texts, cluster, env, pin, helm, scratch) if any("{{" in t for t in texts.values()) else texts
    if isinstance(evaluated, str):
        return evaluated
    paths = []
    for name, text in evaluated.items():
        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError as error:
            return f"the ApplicationSet's helm.{name} is not YAML once evaluated: {str(error).splitlines()[0]}"
        path = scratch / f"{name}.yaml"
        path.write_text(yaml.safe_dump(values or {}), encoding="utf-8")
        paths.append(path)
    return paths


_EVALUATOR = """apiVersion: v1
kind: ConfigMap
metadata:
  name: evaluated
data:
{{- range $key, $text := .Values.texts }}
  {{ $key }}: {{ tpl $text $.Values.context | toJson }}
{{- end }}
"""


def _evaluate(
    texts: dict[str, str], cluster: dict[str, Any], env: str, pin: ChartPin, helm: Path, scratch: Path
) -> dict[str, str] | str:
    """The ApplicationSet's Go templates (sprig functions, as Argo CD's goTemplate) run by Helm's engine, with
    the cluster Secret of the gate and the versions file as their data."""
    chart = scratch / "applicationset-values"
    (chart / CHART_TEMPLATES).mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: applicationset-values\nversion: 0.0.0\n")
    (chart / CHART_TEMPLATES / "evaluated.yaml").write_text(_EVALUATOR)
    labels = {**cluster["metadata"].get("labels", {}), "environment": env}
    context = {
        **cluster,
        "metadata": {**cluster["metadata"], "labels": labels},
        "charts": {pin.key: {"chart": pin.chart, "repository": pin.repository, "version": pin.version}},
        "Template": {
            "BasePath": f"applicationset-values/{CHART_TEMPLATES}",
            "Name": f"applicationset-values/{CHART_TEMPLATES}/evaluated.yaml",
        },
    }
    data = scratch / "evaluate.json"
    data.write_text(json.dumps({"texts": texts, "context": context}), encoding="utf-8")
    done = subprocess.run(
        [str(helm), "template", "x", str(chart), "--values", str(data)],
        capture_output=True,
        text=True,
        check=False,
        env=go_env(),
        timeout=TEMPLATE_TIMEOUT_SECONDS,
    )
    if done.returncode != 0:
        return "the ApplicationSet's helm values templates do not evaluate: " + " ".join(done.stderr.split())[:400]
    for body in yaml.safe_load_all(done.stdout):
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            return {str(k): str(v) for k, v in body["data"].items()}
    return {}
