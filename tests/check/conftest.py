"""Session fixtures for `groundwork check`: a clean tree and a tree with one fault per app, each judged once.

Every run of the gate starts checkov and promtool, so the fault matrix shares one tree: each fault lives in its
own app (or bootstrap file), and findings are grouped by app and environment, so each test reads the findings
of its own app, and the untouched app in the same tree shows that faults do not bleed into their neighbours.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from check_support import (
    TEMPLATE_APP,
    GateRun,
    add_resource,
    application,
    check_json,
    clone_app,
    dump_all,
    edit_yaml,
    render_app,
    run_cli,
    write_bootstrap,
)

CLEAN_APPS = (TEMPLATE_APP, "billing")


@pytest.fixture(scope="session", autouse=True)
def _results_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The gate's results cache in a folder of this session: a run never takes a verdict from an earlier one."""
    folder = tmp_path_factory.mktemp("results-cache")
    saved = os.environ.get("GROUNDWORK_CHECK_CACHE")
    os.environ["GROUNDWORK_CHECK_CACHE"] = str(folder)
    yield
    if saved is None:
        os.environ.pop("GROUNDWORK_CHECK_CACHE", None)
    else:
        os.environ["GROUNDWORK_CHECK_CACHE"] = saved


@pytest.fixture(scope="session")
def template_app(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deploy template rendered once for the service 'orders', at gitops/apps/orders beside the components."""
    return render_app(repo_root, tmp_path_factory.mktemp("rendered") / "gitops" / "apps" / TEMPLATE_APP)


@pytest.fixture(scope="session")
def clean_tree(template_app: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    for name in CLEAN_APPS:
        clone_app(template_app, root / "gitops", name)
    write_bootstrap(root / "gitops", list(CLEAN_APPS))
    return root


@pytest.fixture(scope="session")
def clean_run(clean_tree: Path) -> GateRun:
    code, report = check_json(clean_tree)
    return GateRun(code, "", "", report)


# --- the fault matrix: app name -> how to break it ---------------------------------------------------------


def _vs_typo(app: Path) -> None:
    def change(vs: dict[str, Any]) -> None:
        route = vs["spec"]["http"][0]
        route["timeoutt"] = route.pop("timeout", "5s")

    edit_yaml(app / "base" / "virtualservice.yaml", change)


def _no_readiness(app: Path) -> None:
    def change(deployment: dict[str, Any]) -> None:
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            container.pop("readinessProbe", None)

    edit_yaml(app / "base" / "deployment.yaml", change)


def _latest_in_prod(app: Path) -> None:
    def change(kustomization: dict[str, Any]) -> None:
        kustomization["images"] = [{"name": image["name"], "newTag": "latest"} for image in kustomization["images"]]

    edit_yaml(app / "overlays" / "prod" / "kustomization.yaml", change)


def _secret(app: Path) -> None:
    add_resource(
        app,
        "secret.yaml",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": "hunter2"}},
    )


def _own_alerts(app: Path, *alerts: dict[str, Any]) -> None:
    """The service adds alerting rules of its own to its PrometheusRule (which otherwise only records its SLO
    for the fleet's rules), in a group of their own."""

    def edit(rule: dict[str, Any]) -> None:
        rule["spec"]["groups"].append({"name": f"{app.name}-alerts", "rules": list(alerts)})

    edit_yaml(app / "base" / "prometheusrule.yaml", edit)


SERVER_ERRORS = (
    'sum by (namespace, job) (rate(http_requests_total{status=~"5.."}[5m]))'
    " / sum by (namespace, job) (rate(http_requests_total[5m])) > 0.5"
)


def _bad_promql(app: Path) -> None:
    broken = "sum(rate(http_requests_total[5m])"  # a parenthesis short
    _own_alerts(app, {"alert": "RequestsBroken", "expr": broken, "labels": {"severity": "critical"}})


def _deaf_alert(app: Path) -> None:
    """A paging alert that reads the contract's metrics but can never fire."""
    _own_alerts(
        app,
        {
            "alert": "ServerErrorsHigh",
            "expr": f"({SERVER_ERRORS}) and on() (vector(0) > 1)",
            "labels": {"severity": "critical"},
        },
    )


def _noisy_alert(app: Path) -> None:
    """A paging alert that fires on the first 5xx, well inside the error budget."""
    _own_alerts(
        app,
        {
            "alert": "AnyServerError",
            "expr": 'sum(rate(http_requests_total{status=~"5.."}[5m])) > 0',
            "labels": {"severity": "critical"},
        },
    )


def _unknown_kind(app: Path) -> None:
    add_resource(
        app,
        "widget.yaml",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "gizmo"}, "spec": {"size": 3}},
    )


def _broken_dev_build(app: Path) -> None:
    edit_yaml(app / "overlays" / "dev" / "kustomization.yaml", lambda k: k["resources"].append("missing.yaml"))


def _root_init_in_dev_patch(app: Path) -> None:
    """The dev overlay's patch adds an init container running as root: blamed on the patch, not the base."""
    patch = app / "overlays" / "dev" / "deployment.yaml"
    document = yaml.safe_load(patch.read_text(encoding="utf-8"))
    document["spec"]["template"]["spec"]["initContainers"] = [
        {
            "name": "setup",
            "image": "busybox:1.37",
            "securityContext": {
                "runAsUser": 0,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        }
    ]
    patch.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _host_etc(app: Path) -> None:
    def change(deployment: dict[str, Any]) -> None:
        spec = deployment["spec"]["template"]["spec"]
        spec.setdefault("volumes", []).append({"name": "host-etc", "hostPath": {"path": "/etc"}})

    edit_yaml(app / "base" / "deployment.yaml", change)


def _admin_binding(app: Path) -> None:
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": f"{app.name}-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": app.name, "namespace": app.name}],
    }
    add_resource(app, "admin.yaml", binding)


def _yaml_error_in_dev_patch(app: Path) -> None:
    patch = app / "overlays" / "dev" / "deployment.yaml"
    text = patch.read_text(encoding="utf-8")
    patch.write_text(
        text.replace("          env:\n", "          env:\n            - name: X\n             value: bad\n", 1)
    )


def _duplicate_key(app: Path) -> None:
    service = app / "base" / "service.yaml"
    text = service.read_text(encoding="utf-8")
    service.write_text(text.replace("kind: Service\n", "kind: Service\nkind: Service\n", 1), encoding="utf-8")


def _huge_configmap(app: Path) -> None:
    blob = "x" * (5 * 1024 * 1024)
    add_resource(
        app,
        "blob.yaml",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "blob"}, "data": {"blob": blob}},
    )


def _stray_file(app: Path) -> None:
    (app / "base" / "forgotten.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "forgotten"}}), encoding="utf-8"
    )


FAULTS: dict[str, Callable[[Path], None]] = {
    "root-init": _root_init_in_dev_patch,
    "host-etc": _host_etc,
    "admin-binding": _admin_binding,
    "yaml-error": _yaml_error_in_dev_patch,
    "dup-key": _duplicate_key,
    "huge-configmap": _huge_configmap,
    "stray-file": _stray_file,
    "vs-typo": _vs_typo,
    "no-readiness": _no_readiness,
    "latest-prod": _latest_in_prod,
    "with-secret": _secret,
    "bad-promql": _bad_promql,
    "deaf-alert": _deaf_alert,
    "noisy-alert": _noisy_alert,
    "unknown-kind": _unknown_kind,
    "broken-build": _broken_dev_build,
}


@pytest.fixture(scope="session")
def fault_tree(template_app: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    gitops = root / "gitops"
    clone_app(template_app, gitops, TEMPLATE_APP)
    for name, breaks in FAULTS.items():
        breaks(clone_app(template_app, gitops, name))
    bootstrap = write_bootstrap(gitops, [TEMPLATE_APP, *FAULTS])
    dump_all(bootstrap / "rogue.yaml", [application("rogue", "dev", project="default")])
    typo = application("typo", "dev")
    typo["spec"]["syncPolicy"]["automated"]["prunee"] = True
    dump_all(bootstrap / "typo.yaml", [typo])
    (bootstrap / "values.yaml").write_text(yaml.safe_dump({"replicaCount": 2}), encoding="utf-8")  # data, skipped
    return root


@pytest.fixture(scope="session")
def fault_text(fault_tree: Path) -> GateRun:
    code, out, err = run_cli(["check", str(fault_tree)])
    return GateRun(code, out, err, {})


@pytest.fixture(scope="session")
def fault_json(fault_tree: Path) -> GateRun:
    code, report = check_json(fault_tree)
    return GateRun(code, "", "", report)
