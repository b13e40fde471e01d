"""The gate's Helm stage on small charts the tests build and package themselves: each add-on is rendered as
Argo CD would (pinned chart, value files, templated values, release, namespace), judged by the same stages as
the apps, and its values checked against the chart. The fault matrix: a value that breaks the templates, a
key no template reads, a schema violation, a chart that cannot be pulled."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from check_support import dump_all, run_cli

from groundwork.check.helm.keys import chart_reads, unread_keys
from groundwork.check.helm.stage import find_helm
from groundwork.check.incremental import GateOptions, run_gate

REPOSITORY = "https://charts.groundwork.invalid"
UNREACHABLE = "https://127.0.0.1:9/charts"  # nothing listens on the discard port of loopback
NAMESPACE = "observability"

CONFIGMAP = """{{- if and .Values.environment (not (has .Values.environment (list "dev" "staging" "prod"))) }}
{{- fail (printf "environment %q is not an evaluated environment" .Values.environment) }}
{{- end }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
  namespace: {{ .Release.Namespace }}
data:
  greeting: {{ .Values.greeting | quote }}
  port: {{ .Values.server.port | quote }}
  environment: {{ .Values.environment | default "none" | quote }}
"""
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: app
          image: "example.invalid/app:1.0.0"
"""
SCHEMA = {
    "$schema": "https://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"replicas": {"type": "integer", "minimum": 1}},
}

# add-on -> (chart key, chart name, templates, schema or None, values file, reachable)
ADDONS: dict[str, tuple[str, str, dict[str, str], dict[str, Any] | None, str, bool]] = {
    "renders": (
        "renders",
        "settings",
        {"configmap.yaml": CONFIGMAP},
        None,
        "greeting: hello\nserver:\n  port: 8080\n",
        True,
    ),
    "broken-value": (
        "broken_value",
        "settings",
        {"configmap.yaml": CONFIGMAP},
        None,
        "greeting: hi\nserver: null\n",
        True,
    ),
    "unknown-key": (
        "unknown_key",
        "settings",
        {"configmap.yaml": CONFIGMAP},
        None,
        "greeting: hi\nserver:\n  port: 8080\n  portt: 9090\ngreting: typo\n",
        True,
    ),
    "schema": ("schema", "workload", {"deployment.yaml": DEPLOYMENT}, SCHEMA, "replicas: two\n", True),
    "policies": ("policies", "workload", {"deployment.yaml": DEPLOYMENT}, SCHEMA, "replicas: 2\n", True),
    "unreachable": ("unreachable", "settings", {"configmap.yaml": CONFIGMAP}, None, "greeting: hi\n", False),
}


@pytest.fixture(scope="module")
def helm(repo_root: Path) -> Path:
    """The pinned helm, built once from its Go module (cached in ~/.cache/groundwork/bin)."""
    found, why = find_helm(repo_root)
    if found is None:
        pytest.skip(f"helm is needed to render charts: {why}")
    return found


def _package(helm: Path, folder: Path, name: str, version: str, templates: dict[str, str], schema: Any) -> Path:
    chart = folder / f"{name}-src-{version}" / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: {version}\n", encoding="utf-8")
    (chart / "values.yaml").write_text("greeting: default\nserver:\n  port: 80\nreplicas: 1\n", encoding="utf-8")
    for file, text in templates.items():
        (chart / "templates" / file).write_text(text, encoding="utf-8")
    if schema is not None:
        (chart / "values.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    subprocess.run([str(helm), "package", str(chart), "--destination", str(folder)], check=True, capture_output=True)
    return folder / f"{name}-{version}.tgz"


def _appset(addon: str, key: str, values: str = "") -> dict[str, Any]:
    helm: dict[str, Any] = {
        "releaseName": addon,
        "ignoreMissingValueFiles": True,
        "valueFiles": [
            f"$values/gitops/addons/{addon}/values.yaml",
            f"$values/gitops/addons/{addon}/values-{{{{ .metadata.labels.environment }}}}.yaml",
        ],
    }
    if values:
        helm["values"] = values
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": f"addon-{addon}", "namespace": "argocd"},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"clusters": {"selector": {"matchLabels": {"enable_all": "true"}}}}],
            "template": {
                "metadata": {"name": f"{{{{ .nameNormalized }}}}-{addon}", "labels": {"groundwork.dev/addon": addon}},
                "spec": {
                    "project": "platform",
                    "sources": [
                        {"repoURL": "https://git.invalid/platform.git", "targetRevision": "main", "ref": "values"},
                        {
                            "repoURL": f"{{{{ .charts.{key}.repository }}}}",
                            "chart": f"{{{{ .charts.{key}.chart }}}}",
                            "targetRevision": f"{{{{ .charts.{key}.version }}}}",
                            "helm": helm,
                        },
                    ],
                    "destination": {"server": "{{ .server }}", "namespace": NAMESPACE},
                },
            },
        },
    }


@pytest.fixture(scope="module")
def helm_tree(helm: Path, tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("helm") / "repo"
    gitops = root / "gitops"
    charts = tmp_path_factory.mktemp("chart-cache")
    packages = tmp_path_factory.mktemp("packages")
    pins: dict[str, dict[str, str]] = {}
    appsets = []
    for number, (addon, (key, chart, templates, schema, values, reachable)) in enumerate(ADDONS.items()):
        version = f"1.{number}.0"
        repository = REPOSITORY if reachable else UNREACHABLE
        pins[key] = {"chart": chart, "repository": repository, "version": version}
        archive = _package(helm, packages, chart, version, templates, schema)
        if reachable:  # the cache, keyed by repository, chart and version, as a pull would have filled it
            folder = charts / hashlib.sha256(repository.encode()).hexdigest()[:16]
            folder.mkdir(exist_ok=True)
            archive.replace(folder / archive.name)
        (gitops / "addons" / addon).mkdir(parents=True)
        (gitops / "addons" / addon / "values.yaml").write_text(values, encoding="utf-8")
        templated = "environment: '{{ .metadata.labels.environment }}'\n" if addon == "renders" else ""
        appsets.append(_appset(addon, key, templated))
    (gitops / "addons" / "renders" / "values-prod.yaml").write_text("greeting: hello prod\n", encoding="utf-8")
    (gitops / "bootstrap").mkdir(parents=True)
    dump_all(gitops / "bootstrap" / "addons.yaml", appsets)
    (gitops / "bootstrap" / "kustomization.yaml").write_text(yaml.safe_dump({"resources": ["addons.yaml"]}))
    (gitops / "versions.yaml").write_text(yaml.safe_dump({"charts": pins}, sort_keys=False), encoding="utf-8")
    (root / "policies").mkdir()
    for folder in ("checkov", "helm"):
        subprocess.run(["cp", "-r", str(repo_root / "policies" / folder), str(root / "policies" / folder)], check=True)
    allowances = {"policies": [{"rule": "CKV_K8S_8", "resource": "Deployment */policies", "reason": "tested"}]}
    (root / "policies" / "helm" / "allowances.yaml").write_text(yaml.safe_dump(allowances), encoding="utf-8")
    saved = os.environ.get("GROUNDWORK_CHART_CACHE")
    os.environ["GROUNDWORK_CHART_CACHE"] = str(charts)
    yield root
    if saved is None:
        os.environ.pop("GROUNDWORK_CHART_CACHE", None)
    else:
        os.environ["GROUNDWORK_CHART_CACHE"] = saved


@pytest.fixture(scope="module")
def helm_run(helm_tree: Path) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(["check", str(helm_tree), "--json", "--no-cache"])
    assert out.strip(), err
    text_code, text, _ = run_cli(["check", str(helm_tree), "--no-cache"])
    assert text_code == code
    return code, json.loads(out), text


def _group(report: dict[str, Any], addon: str, env: str = "-") -> dict[str, Any]:
    return next(g for g in report["targets"] if g["app"] == addon and g["env"] == env)


def test_a_chart_that_renders_is_judged_clean(helm_run: tuple[int, dict[str, Any], str]) -> None:
    _, report, _ = helm_run
    assert _group(report, "renders")["findings"] == []
    assert _group(report, "renders", "prod")["findings"] == []  # its own values-prod.yaml makes a target


def test_a_value_that_breaks_the_templates_fails_with_helms_words(helm_run: tuple[int, dict[str, Any], str]) -> None:
    code, report, _ = helm_run
    assert code == 1
    [finding] = _group(report, "broken-value")["findings"]
    assert finding["rule"] == "helm-template"
    assert finding["file"] == "gitops/addons/broken-value/values.yaml"
    assert "nil pointer" in finding["message"]
    assert "settings 1.1.0" in finding["message"]


def test_a_key_no_template_reads_is_a_warning_with_file_and_line(helm_run: tuple[int, dict[str, Any], str]) -> None:
    _, report, text = helm_run
    assert _group(report, "unknown-key")["findings"] == []
    warned = {(w["message"].split(" ")[0], w["line"]) for w in report["warnings"]}
    assert warned == {("server.portt", 4), ("greting", 5)}
    assert "gitops/addons/unknown-key/values.yaml:5 [render helm-unread-key] greting is read by no template" in text


def test_a_schema_violation_fails(helm_run: tuple[int, dict[str, Any], str]) -> None:
    _, report, _ = helm_run
    [finding] = _group(report, "schema")["findings"]
    assert finding["rule"] == "helm-values-schema"
    assert "replicas" in finding["message"]


def test_rendered_add_ons_face_the_same_policies_and_allowances_name_their_reason(
    helm_run: tuple[int, dict[str, Any], str],
) -> None:
    _, report, _ = helm_run
    rules = {f["rule"] for f in _group(report, "policies")["findings"]}
    assert {"CKV_K8S_9", "CKV_K8S_13"} <= rules  # no readiness probe, no memory limit: checkov, as for apps
    assert "CKV_K8S_8" not in rules
    assert [(a["rule"], a["reason"]) for a in report["allowed"]] == [("CKV_K8S_8", "tested")]


def test_templated_values_are_evaluated_for_the_environment(helm_run: tuple[int, dict[str, Any], str]) -> None:
    # The chart fails on an `environment` that is not one (e.g. the ApplicationSet's template left as it is).
    _, report, _ = helm_run
    assert _group(report, "renders")["ok"]
    assert _group(report, "renders", "prod")["ok"]
    assert report["summary"]["documents"] >= 4  # renders (base and prod), unknown-key, policies


def test_an_unreachable_chart_is_reported_by_name_not_passed(helm_run: tuple[int, dict[str, Any], str]) -> None:
    _, report, text = helm_run
    [skipped] = report["not_judged"]
    assert skipped["app"] == "unreachable"
    assert f"from {UNREACHABLE} could not be pulled" in skipped["reason"]
    assert _group(report, "unreachable")["findings"] == []
    assert "NOT JUDGED: 1 target:" in text
    assert "  unreachable/- (gitops/addons/unreachable): chart settings 1.5.0" in text


def test_unread_keys_follow_subtrees_and_prefixes(helm: Path, tmp_path: Path) -> None:
    templates = {
        "a.yaml": '{{ toYaml .Values.config }}{{ .Values.image.tag }}{{ index .Values "extra-env" "FOO" }}',
        "_helpers.tpl": '{{ define "x" }}{{ $.Values.global.region }}{{ end }}',
    }
    archive = _package(helm, tmp_path, "probe", "0.1.0", templates, None)
    reads = chart_reads(archive.read_bytes())
    values = (
        "config:\n  any: {deep: 1}\nimage:\n  tag: x\n  tagg: y\nextra-env:\n  FOO: 1\n  BAR: 2\nglobal:\n  region: r\n"
    )
    found = [(".".join(k.path), k.line) for k in unread_keys(values, reads)]
    assert found == [("image.tagg", 5), ("extra-env.BAR", 8)]


def test_a_not_judged_add_on_is_remembered_until_its_chart_arrives(
    helm: Path, helm_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the results cache, an add-on whose chart cannot be pulled is still listed, with the reason, but a
    re-run does not start the judges again for it; once the chart is in the chart cache it is judged."""
    charts = tmp_path / "charts"
    shutil.copytree(os.environ["GROUNDWORK_CHART_CACHE"], charts)
    monkeypatch.setenv("GROUNDWORK_CHART_CACHE", str(charts))
    options = GateOptions(results=tmp_path / "results")
    first = run_gate(helm_tree, options)
    again = run_gate(helm_tree, options)
    assert [(t.app, reason) for t, reason in again.not_judged] == [(t.app, r) for t, r in first.not_judged]
    assert [t.app for t, _ in again.not_judged] == ["unreachable"]
    assert again.cached == again.targets
    assert again.timings == []  # nothing rendered, no judge started
    assert again.ok == first.ok

    _, chart, templates, schema, _, _ = ADDONS["unreachable"]
    version = f"1.{list(ADDONS).index('unreachable')}.0"  # as the helm_tree fixture numbers them
    archive = _package(helm, tmp_path / "packages", chart, version, templates, schema)
    folder = charts / hashlib.sha256(UNREACHABLE.encode()).hexdigest()[:16]
    folder.mkdir(exist_ok=True)
    archive.replace(folder / archive.name)
    arrived = run_gate(helm_tree, options)
    assert arrived.not_judged == []
    assert [t.app for t in arrived.targets if t not in arrived.cached] == ["unreachable"]
