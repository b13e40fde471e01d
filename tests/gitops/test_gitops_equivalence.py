"""gitops/ renders the same objects as before it stopped repeating itself, object by object, for every app,
environment and add-on; the only differences are the ones listed (and justified) in ALLOWED.

BEFORE is the last commit of main before the restructuring (issue 12). Every target of both trees is rendered
the way the gate and Argo CD render it (`kubectl kustomize`, or the plain YAML files of a folder), and each
object, keyed by (kind, namespace, name), is compared after ALLOWED has had its say.
"""

from __future__ import annotations

import copy
import io
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from bootstrap_support import kustomize

from groundwork.check.discover import discover

BEFORE = "a3d3b9f58e7477ee6af9a1b0e3cbc4c7ee783798"
OBJECTIVES = (
    "namespace_job:slo_availability_error_budget:ratio",
    "namespace_job:slo_latency_error_budget:ratio",
    "namespace_job:slo_latency_threshold:seconds",
)

Key = tuple[str, str, str]
Objects = dict[Key, dict[str, Any]]


FLEET_SLO_RULES = Path(__file__).resolve().parents[2] / "gitops" / "addons" / "dashboards" / "slo-rules.yaml"
ALERT_LABELS = ("severity", "slo", "burn_rate", "long_window", "short_window")


def _rules(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def _objectives_only(after: dict[str, Any], before: dict[str, Any]) -> bool:
    """The same object, holding the service's three objectives and nothing else, with the budgets its alerts used."""
    rules = {r["record"]: r for r in _rules(after) if "record" in r}
    alerts = {r["alert"]: r["expr"] for r in _rules(before) if "alert" in r}
    budgets = {slo: rules[f"namespace_job:slo_{slo}_error_budget:ratio"]["expr"] for slo in ("availability", "latency")}
    return (
        _unversioned(after["metadata"]) == _unversioned(before["metadata"])
        and sorted(rules) == sorted(OBJECTIVES)
        and len(_rules(after)) == len(OBJECTIVES)
        and all(
            f"* {budgets[slo].removeprefix('vector(').removesuffix(')')})" in expr
            for name, expr in alerts.items()
            for slo in budgets
            if name.lower().startswith(slo)
        )
    )


def _unversioned(metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata without the version label, which dev's release moved (dev-runs-a-release-by-digest)."""
    body = copy.deepcopy(metadata)
    body.get("labels", {}).pop("app.kubernetes.io/version", None)
    return body


def _as_the_fleet_does(before: dict[str, Any]) -> bool:
    """The service's former records and alerts are the fleet's: same names, same static labels."""
    fleet = _rules(yaml.safe_load(FLEET_SLO_RULES.read_text(encoding="utf-8")))
    own = _rules(before)

    def shape(rules: list[dict[str, Any]]) -> set[tuple[str, ...]]:
        return {
            (r.get("record") or r["alert"], *(str(r.get("labels", {}).get(label, "")) for label in ALERT_LABELS))
            for r in rules
        }

    return shape(own) == shape(fleet)


# (what changed, why) -> how to tell an object of it: before (None: added), after (None: removed), or both.
ALLOWED: dict[str, tuple[str, Callable[[Key, dict[str, Any] | None, dict[str, Any] | None], bool]]] = {
    "service-dashboard-copies-removed": (
        "each app's ConfigMap <service>-dashboard is gone: the fleet's one service dashboard shows every service",
        lambda key, before, after: after is None and key[0] == "ConfigMap" and key[2].endswith("-dashboard"),
    ),
    "service-dashboard-provisioned-once": (
        "the dashboards add-on adds ConfigMap monitoring/dashboard-service (gitops/addons/dashboards/service.json)",
        lambda key, before, after: before is None and key == ("ConfigMap", "monitoring", "dashboard-service"),
    ),
    "slo-rules-once-for-the-fleet": (
        "each app's PrometheusRule <service>-slo keeps only its objectives as series (error budgets labelled with "
        "its team and runbook_url, latency threshold with its le); its SLI recordings and burn-rate alerts are the "
        "fleet's SLO rules now, the same records, alerts, windows, factors and severities for every service",
        lambda key, before, after: (
            key[0] == "PrometheusRule"
            and before is not None
            and after is not None
            and _objectives_only(after, before)
            and _as_the_fleet_does(before)
        ),
    ),
    "slo-rules-added-once": (
        "the dashboards add-on adds PrometheusRule monitoring/slo (gitops/addons/dashboards/slo-rules.yaml): "
        "every service's error ratios and burn-rate alerts, joined with the objectives it records",
        lambda key, before, after: before is None and key == ("PrometheusRule", "monitoring", "slo"),
    ),
    "versions-pin-tools": (
        "gitops/versions.yaml also pins the tools built from Go modules (tools:, issue 10's sandbox and issue 14's "
        "helm); every chart pin is unchanged",
        lambda key, before, after: (
            key == ("file", "versions.yaml", "0")
            and before is not None
            and after is not None
            and before.get("charts") == _without_operator_charts(after.get("charts"))
            and set(after) - set(before) == {"tools"}
        ),
    ),
    "operator-addons-for-state-and-events": (
        "the CloudNativePG and Strimzi operators are add-ons (issue 16): their ApplicationSets, values and "
        "namespaces cnpg-system and kafka are added, their charts pinned in gitops/versions.yaml "
        "(charts.cloudnative_pg, charts.strimzi); the platform project trusts their chart repositories and deploys "
        "into their namespaces, and no environment's services may; a preview of a database=postgres service gets "
        "its own Cluster, migrations Job and PodMonitor (the preview project admits these three kinds)",
        lambda key, before, after: (
            (before is None and key in OPERATORS_ADDED)
            or (
                key[0] == "AppProject"
                and before is not None
                and after is not None
                and _without_operators(after) == before
            )
        ),
    ),
    "tempo-jaeger-receiver-kept": (
        "gitops/addons/tempo/values.yaml no longer sets tempo.receivers.jaeger to null, which broke the tempo "
        "chart's templates (issue 14); nothing else in the file changed",
        lambda key, before, after: (
            key == ("file", "addons/tempo/values.yaml", "0")
            and before is not None
            and after is not None
            and _without_jaeger(before) == _without_jaeger(after)
        ),
    ),
    "dev-runs-a-release-by-digest": (
        "every app's dev overlay runs its image by tag and digest (the deploy template renders image_digest into "
        "dev too) and is one release ahead of staging, as its CI's promote-dev leaves it (0.1.1, a seed digest), "
        "so README's 'groundwork promote' example has a digest to move (issue 11); only the dev objects' "
        "version label and the Deployment's image changed",
        lambda key, before, after: (
            before is not None
            and after is not None
            and key[0] != "PrometheusRule"  # its version label is judged with slo-rules-once-for-the-fleet
            and _as_dev_release(before, "0.1.0") is not None
            and _as_dev_release(before, "0.1.0") == _as_dev_release(after, "0.1.1")
        ),
    ),
    "apps-sync-server-side": (
        "the apps and previews ApplicationSets' Applications sync with ServerSideApply=true, so a field the API "
        "server's schema does not declare fails the sync instead of being pruned into a permanent OutOfSync "
        "(issue 10, found by the sandbox; docs/adr/0012-docker-free-sandbox.md); nothing else changed",
        lambda key, before, after: (
            key in {("ApplicationSet", "argocd", "apps"), ("ApplicationSet", "argocd", "previews")}
            and before is not None
            and after is not None
            and _without_server_side_apply(after) == before
        ),
    ),
}

VERSION_LABEL = "app.kubernetes.io/version"
OPERATOR_NAMESPACES = {"cnpg-system", "kafka"}
OPERATOR_REPOSITORIES = {"https://cloudnative-pg.github.io/charts", "https://strimzi.io/charts/"}
OPERATOR_CHARTS = {"cloudnative_pg", "strimzi"}
PREVIEW_DATABASE = [
    {"group": "postgresql.cnpg.io", "kind": "Cluster"},
    {"group": "batch", "kind": "Job"},
    {"group": "monitoring.coreos.com", "kind": "PodMonitor"},
]
OPERATORS_ADDED = {
    ("file", "addons/cloudnative-pg/values.yaml", "0"),
    ("file", "addons/strimzi/values.yaml", "0"),
    ("Namespace", "", "cnpg-system"),
    ("Namespace", "", "kafka"),
    ("ApplicationSet", "argocd", "addon-cloudnative-pg"),
    ("ApplicationSet", "argocd", "addon-strimzi"),
}


def _without_operator_charts(charts: Any) -> Any:
    return {k: v for k, v in charts.items() if k not in OPERATOR_CHARTS} if isinstance(charts, dict) else charts


def _without_operators(project: dict[str, Any]) -> dict[str, Any]:
    """An AppProject without the operators' destinations (allowed or denied) and chart repositories."""
    body = copy.deepcopy(project)
    spec = body["spec"]
    spec["destinations"] = [d for d in spec["destinations"] if d["namespace"].lstrip("!") not in OPERATOR_NAMESPACES]
    spec["sourceRepos"] = [r for r in spec["sourceRepos"] if r not in OPERATOR_REPOSITORIES]
    if "namespaceResourceWhitelist" in spec:  # the preview project admits a preview's own database
        spec["namespaceResourceWhitelist"] = [
            k for k in spec["namespaceResourceWhitelist"] if k not in PREVIEW_DATABASE
        ]
    return body


def _without_server_side_apply(appset: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(appset)
    options = body["spec"]["template"]["spec"]["syncPolicy"]["syncOptions"]
    options.remove("ServerSideApply=true")
    return body


def _as_dev_release(document: dict[str, Any], version: str) -> dict[str, Any] | None:
    """The document with dev's release (version labels, the image's tag and digest) taken out; None unless it
    is a dev object of that version."""
    if (document.get("metadata") or {}).get("labels", {}).get("groundwork.dev/environment") != "dev":
        return None
    body = copy.deepcopy(document)

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if key in ("labels", "matchLabels") and isinstance(value, dict) and value.get(VERSION_LABEL) == version:
                    value.pop(VERSION_LABEL)
                elif key == "image" and isinstance(value, str) and value.split("@")[0].endswith(f":{version}"):
                    node[key] = value.split("@")[0].removesuffix(f":{version}")
                else:
                    strip(value)
        elif isinstance(node, list):
            for item in node:
                strip(item)

    strip(body)
    return body


def _without_jaeger(values: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(values)
    receivers = body.get("tempo", {}).get("receivers", {})
    if isinstance(receivers, dict):
        receivers.pop("jaeger", None)
    return body


def _export_before(repo_root: Path, dest: Path) -> Path:
    done = subprocess.run(
        ["git", "archive", "--format=tar", BEFORE, "gitops"], cwd=repo_root, capture_output=True, check=False
    )
    assert done.returncode == 0, f"this test needs main's history down to {BEFORE}: {done.stderr.decode()}"
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(dest, filter="data")
    return dest / "gitops"


def _render(gitops: Path) -> dict[tuple[str, str, str], Objects]:
    rendered: dict[tuple[str, str, str], Objects] = {}
    for target in discover(gitops):
        objects: Objects = {}
        if target.mode == "kustomize":
            for document in kustomize(target.path):
                metadata = document.get("metadata") or {}
                objects[(document["kind"], metadata.get("namespace", ""), metadata.get("name", ""))] = document
        else:  # plain files: Kubernetes objects by kind and name, anything else (Helm values) by file and index
            for file in target.files:
                for index, document in enumerate(yaml.safe_load_all(file.read_text(encoding="utf-8"))):
                    if isinstance(document, dict) and "kind" in document:
                        metadata = document.get("metadata") or {}
                        key = (document["kind"], metadata.get("namespace", ""), metadata.get("name", ""))
                    else:
                        key = ("file", file.relative_to(gitops).as_posix(), str(index))
                    objects[key] = {"document": document} if not isinstance(document, dict) else document
        rendered[(target.app, target.env, target.path.relative_to(gitops).as_posix())] = objects
    return rendered


@pytest.fixture(scope="module")
def trees(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[Any, Objects], dict[Any, Objects]]:
    before = _export_before(repo_root, tmp_path_factory.mktemp("before"))
    return _render(before), _render(repo_root / "gitops")


def test_every_app_environment_and_addon_renders_the_same_objects(
    trees: tuple[dict[Any, Objects], dict[Any, Objects]],
) -> None:
    before, after = trees
    assert sorted(after) == sorted(before), "the set of rendered targets changed"
    unexplained: list[str] = []
    used: set[str] = set()
    for target in sorted(before):
        old, new = before[target], after[target]
        for key in sorted(set(old) | set(new)):
            if old.get(key) == new.get(key):
                continue
            reasons = [name for name, (_, allows) in ALLOWED.items() if allows(key, old.get(key), new.get(key))]
            if reasons:
                used.update(reasons)
            else:
                unexplained.append(
                    f"{target}: {key} {'added' if key not in old else 'removed' if key not in new else 'changed'}"
                )
    assert not unexplained, "differences not in ALLOWED:\n" + "\n".join(unexplained)
    assert used == set(ALLOWED), f"listed changes that no longer happen: {sorted(set(ALLOWED) - used)}"


def test_the_diff_catches_a_changed_object(trees: tuple[dict[Any, Objects], dict[Any, Objects]]) -> None:
    """The comparison is real: one changed field of one Deployment is a difference no reason allows."""
    before, _ = trees
    target = next(t for t in sorted(before) if t[2].startswith("apps/") and t[1] == "prod")
    key = next(k for k in before[target] if k[0] == "Deployment")
    changed = copy.deepcopy(before[target][key])
    changed["spec"]["template"]["spec"]["containers"][0]["image"] += "-other"
    assert changed != before[target][key]
    assert not any(allows(key, before[target][key], changed) for _, allows in ALLOWED.values())
