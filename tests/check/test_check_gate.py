"""`groundwork check` end to end on real deploy-template apps: a clean tree passes, and every injected fault
fails the gate with a finding that names the app, the environment, the file and the rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from check_support import ENVS, TEMPLATE_APP, GateRun, findings_of

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Fault:
    app: str
    envs: tuple[str, ...]
    file: str  # relative to the checked repository
    stage: str
    rule: str
    resource: str  # how the finding names the resource ("" when the target itself failed)
    says: str  # a piece of the message
    line_of: str = ""  # the finding's line is the first line of `file` holding this text ("" : not checked)


def _app_file(app: str, name: str) -> str:
    return f"gitops/apps/{app}/base/{name}"


MATRIX: dict[str, Fault] = {
    # The acceptance faults.
    "typo in a VirtualService field": Fault(
        "vs-typo", ENVS, _app_file("vs-typo", "virtualservice.yaml"), "schema", "istio-schema",
        "VirtualService vs-typo/vs-typo", "spec.http.0.timeoutt: unknown field",
    ),
    "Deployment without readinessProbe": Fault(
        "no-readiness", ENVS, _app_file("no-readiness", "deployment.yaml"), "policy", "CKV_K8S_9",
        "Deployment no-readiness/no-readiness", "Readiness Probe",
    ),
    "image :latest in prod": Fault(  # set by the prod overlay's images: entry, and blamed on it
        "latest-prod", ("prod",), "gitops/apps/latest-prod/overlays/prod/kustomization.yaml", "policy", "CKV_K8S_14",
        "Deployment latest-prod/latest-prod", "not latest", "- name: ghcr.io",
    ),
    "kind: Secret": Fault(
        "with-secret", ENVS, _app_file("with-secret", "secret.yaml"), "policy", "CKV_GW_3",
        "Secret with-secret/db", "Secret",
    ),
    "Application in project default": Fault(
        "bootstrap", ("-",), "gitops/bootstrap/rogue.yaml", "policy", "CKV_GW_4",
        "Application argocd/rogue-dev", "default",
    ),
    "PrometheusRule with invalid PromQL": Fault(
        "bad-promql", ENVS, _app_file("bad-promql", "prometheusrule.yaml"), "rules", "promtool-check-rules",
        "PrometheusRule bad-promql/bad-promql-slo", "parse error",
    ),
    "unknown kind": Fault(
        "unknown-kind", ENVS, _app_file("unknown-kind", "widget.yaml"), "schema", "unknown-kind",
        "Widget unknown-kind/gizmo", "no validator for kind Widget (apiVersion example.com/v1)",
    ),
    # More of what the gate must catch.
    "typo in an Argo CD Application field": Fault(
        "bootstrap", ("-",), "gitops/bootstrap/typo.yaml", "schema", "argo-cd-schema",
        "Application argocd/typo-dev", "spec.syncPolicy.automated.prunee: unknown field",
    ),
    "paging alert that an outage does not fire": Fault(
        "deaf-alert", ENVS, _app_file("deaf-alert", "prometheusrule.yaml"), "rules", "promtool-test-outage",
        "PrometheusRule deaf-alert/deaf-alert-slo", "are not firing",
    ),
    "alert that fires on traffic within the SLO": Fault(
        "noisy-alert", ENVS, _app_file("noisy-alert", "prometheusrule.yaml"), "rules", "promtool-test-healthy",
        "PrometheusRule noisy-alert/noisy-alert-slo", "AnyServerError",
    ),
    # Pod Security Standards, RBAC, positions and limits (issue 13).
    "init container as root, added by the dev overlay's patch": Fault(
        "root-init", ("dev",), "gitops/apps/root-init/overlays/dev/deployment.yaml", "policy",
        "PSS_RESTRICTED_RUNNING_AS_NON_ROOT_USER", "Deployment root-init/root-init",
        "initContainer 'setup': securityContext.runAsUser is 0", "runAsUser: 0",
    ),
    "hostPath /etc": Fault(
        "host-etc", ENVS, _app_file("host-etc", "deployment.yaml"), "policy", "PSS_BASELINE_HOST_PATH_VOLUMES",
        "Deployment host-etc/host-etc", "volume 'host-etc' is a hostPath (/etc)", "hostPath:",
    ),
    "cluster-admin bound to the app's service account": Fault(
        "admin-binding", ENVS, _app_file("admin-binding", "admin.yaml"), "policy", "GW_RBAC_NO_CLUSTER_ROLE_BINDING",
        "ClusterRoleBinding admin-binding-admin", "binds ClusterRole 'cluster-admin' to ServiceAccount",
        "name: cluster-admin",
    ),
    "cluster-scoped RBAC the AppProject does not admit": Fault(
        "admin-binding", ENVS, _app_file("admin-binding", "admin.yaml"), "policy", "GW_RBAC_CLUSTER_SCOPED",
        "ClusterRoleBinding admin-binding-admin", "AppProject", "kind: ClusterRoleBinding",
    ),
    "YAML syntax error in the dev overlay's patch": Fault(
        "yaml-error", ("dev",), "gitops/apps/yaml-error/overlays/dev/deployment.yaml", "render", "yaml", "",
        "invalid YAML", "value: bad",
    ),
    "duplicate key": Fault(
        "dup-key", ENVS, _app_file("dup-key", "service.yaml"), "render", "yaml-duplicate-key", "",
        "duplicate key 'kind' (first at line", "kind: Service\nkind: Service",
    ),
    "5 MB ConfigMap": Fault(
        "huge-configmap", ENVS, _app_file("huge-configmap", "blob.yaml"), "policy", "GW_LIMIT_CONFIG_DATA_SIZE",
        "ConfigMap huge-configmap/blob", "over the 1 MiB", "\ndata:",
    ),
    "file no kustomization reaches": Fault(
        "stray-file", ("-",), _app_file("stray-file", "forgotten.yaml"), "render", "unreached-file", "",
        "no kustomization of the app reaches this file",
    ),
    "overlay that does not build": Fault(
        "broken-build", ("dev",), "gitops/apps/broken-build/overlays/dev/kustomization.yaml", "render",
        "kustomize-build", "", "missing.yaml",
    ),
}  # fmt: skip


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_fault_is_reported_with_app_env_file_and_rule(fault: str, fault_json: GateRun, fault_tree: Path) -> None:
    expected = MATRIX[fault]
    assert fault_json.code == 1
    for env in expected.envs:
        found = [
            f
            for f in findings_of(fault_json.report, expected.app, env)
            if (f["file"], f["stage"], f["rule"]) == (expected.file, expected.stage, expected.rule)
        ]
        assert found, f"{fault}: no {expected.rule} finding on {expected.file} for {expected.app}/{env}"
        named = [f for f in found if f["resource"] == expected.resource and expected.says in f["message"]]
        assert named, found
        assert all(isinstance(f["line"], int) and f["line"] >= 1 for f in named), named
        if expected.line_of:
            text = (fault_tree / expected.file).read_text(encoding="utf-8")
            line = text[: text.index(expected.line_of)].count("\n") + 1 + expected.line_of.count("\n")
            assert [f["line"] for f in named] == [line], (named, line)


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_text_report_line_names_app_env_file_and_rule(fault: str, fault_text: GateRun) -> None:
    expected = MATRIX[fault]
    assert fault_text.code == 1
    for env in expected.envs:
        lines = [
            line
            for line in fault_text.out.splitlines()
            if line.strip().startswith(f"{expected.app}/{env} {expected.file}")
            and f"[{expected.stage} {expected.rule}]" in line
        ]
        assert lines, (
            f"{fault}: no report line for {expected.app}/{env} {expected.file} [{expected.stage} {expected.rule}]"
        )
        assert expected.says in lines[0]


def test_outage_finding_names_the_alert_that_stayed_silent(fault_json: GateRun, fault_tree: Path) -> None:
    """The deaf alert is the paging alert the service added; the message names it."""
    rules = (fault_tree / "gitops" / "apps" / "deaf-alert" / "base" / "prometheusrule.yaml").read_text(encoding="utf-8")
    alerts = re.findall(r"-\s+alert:\s*(\S+)", rules)
    assert len(alerts) == 1
    messages = [
        f["message"] for f in findings_of(fault_json.report, "deaf-alert") if f["rule"] == "promtool-test-outage"
    ]
    assert messages
    assert all(alerts[0] in m for m in messages)


def test_latest_tag_is_only_reported_where_it_is(fault_json: GateRun) -> None:
    for env in ("dev", "staging"):
        assert not [f for f in findings_of(fault_json.report, "latest-prod", env) if f["rule"] == "CKV_K8S_14"]


def test_a_broken_overlay_does_not_hide_the_others(fault_json: GateRun) -> None:
    """The batch holding the broken dev overlay is rendered again overlay by overlay: every other dev overlay
    is still judged, and the app's other environments are clean."""
    for env in ("staging", "prod"):
        assert findings_of(fault_json.report, "broken-build", env) == []
    dev_apps = {g["app"] for g in fault_json.report["targets"] if g["env"] == "dev"}
    assert {TEMPLATE_APP, "vs-typo", "broken-build"} <= dev_apps
    vs_dev = findings_of(fault_json.report, "vs-typo", "dev")
    assert any(f["rule"] == "istio-schema" for f in vs_dev)


def test_untouched_app_beside_the_faults_stays_clean(fault_json: GateRun) -> None:
    groups = [g for g in fault_json.report["targets"] if g["app"] == TEMPLATE_APP]
    assert sorted(g["env"] for g in groups) == sorted(ENVS)
    assert all(g["ok"] and g["findings"] == [] for g in groups)


def test_clean_tree_passes(clean_run: GateRun) -> None:
    report = clean_run.report
    assert clean_run.code == 0, [g for g in report["targets"] if not g["ok"]]
    assert report["ok"] is True
    assert report["summary"]["findings"] == 0
    assert report["summary"]["services"] == 2
    # Two services x three environments, plus the bootstrap's plain files.
    assert len(report["targets"]) == 7
    assert report["summary"]["documents"] > 40


def test_json_report_structure(fault_json: GateRun) -> None:
    report = fault_json.report
    assert set(report) == {"ok", "root", "summary", "targets", "warnings", "not_judged", "allowed"}
    assert report["ok"] is False
    summary = report["summary"]
    assert set(summary) == {
        *("targets", "services", "documents", "findings", "by_stage"),
        *("warnings", "not_judged", "allowed", "since", "everything_because", "unchanged", "cached"),
    }
    assert set(summary["by_stage"]) == {"render", "schema", "policy", "rules"}
    groups = report["targets"]
    # one group per target, plus findings tied to no target (a file no kustomization reaches: app, env "-")
    assert summary["targets"] == len([g for g in groups if g["path"] is not None])
    every = [f for g in groups for f in g["findings"]]
    assert summary["findings"] == len(every) == sum(summary["by_stage"].values())
    for group in groups:
        assert set(group) == {"app", "env", "path", "ok", "judged", "findings"}
        assert group["judged"] in ("fresh", "cached")
        assert group["ok"] is (not group["findings"])
        for finding in group["findings"]:
            assert set(finding) == {"file", "line", "stage", "rule", "resource", "message"}
            assert isinstance(finding["line"], int), finding  # every finding names its line
            assert finding["stage"] in summary["by_stage"]
            assert finding["rule"]
            assert finding["message"]
            assert not Path(finding["file"]).is_absolute()
    # Grouped by app, then environment, in a stable order.
    order = [(g["app"], g["env"]) for g in groups if g["app"] not in ("bootstrap",) and g["path"] is not None]
    assert order == sorted(order)


def test_text_report_ends_with_a_summary(fault_text: GateRun, fault_json: GateRun) -> None:
    last = fault_text.out.strip().splitlines()[-1]
    assert last.startswith("FAILED: ")
    assert f"{fault_json.report['summary']['findings']} findings" in last
