"""The gate's parts on their own: finding targets, the validators, the generated SLO tests, the CLI's errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from check_support import run_cli

from groundwork.check.discover import discover, locate
from groundwork.check.errors import NoGitopsTree
from groundwork.check.model import NO_ENV
from groundwork.check.rules.promtool import fleet_slo_groups
from groundwork.check.rules.slo import Slo
from groundwork.check.rules.synth import OUTAGE_QUERY, synthesize
from groundwork.check.sources import lookup
from groundwork.check.validate import npm_models
from groundwork.check.validate.core import CoreSchemas, is_core
from groundwork.check.validate.models import ModelSchemas


def _write(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")


def _kustomization(folder: Path, resources: list[str]) -> None:
    _write(folder / "kustomization.yaml", {"resources": resources})


# --- discovery ---------------------------------------------------------------------------------------------


def test_discovery_finds_overlays_kustomize_roots_and_plain_files(tmp_path: Path) -> None:
    gitops = tmp_path / "gitops"
    _kustomization(gitops / "apps" / "shop" / "base", ["cm.yaml"])
    for env in ("dev", "prod"):
        _kustomization(gitops / "apps" / "shop" / "overlays" / env, ["../../base"])
    _kustomization(gitops / "bootstrap", ["app.yaml", "addons"])
    _kustomization(gitops / "bootstrap" / "addons", ["a.yaml"])  # used by the root: not a target itself
    _kustomization(gitops / "bootstrap" / "projects" / "base", ["p.yaml"])
    _kustomization(gitops / "bootstrap" / "projects" / "dev", ["../base"])
    _write(gitops / "addons" / "loki" / "values.yaml", {"replicas": 1})
    _write(gitops / "addons" / "mesh.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})
    _write(gitops / "versions.yaml", {"charts": {}})
    component = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component", "resources": ["pdb.yaml"]}
    _write(gitops / "components" / "ha" / "kustomization.yaml", component)  # built only inside an overlay
    _write(gitops / "components" / "ha" / "pdb.yaml", {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget"})

    found = {(t.app, t.env, t.mode, t.path.relative_to(gitops).as_posix()) for t in discover(gitops)}

    assert found == {
        ("shop", "dev", "kustomize", "apps/shop/overlays/dev"),
        ("shop", "prod", "kustomize", "apps/shop/overlays/prod"),
        ("bootstrap", NO_ENV, "kustomize", "bootstrap"),
        ("bootstrap", "dev", "kustomize", "bootstrap/projects/dev"),
        ("addons", NO_ENV, "files", "addons"),
        ("gitops", NO_ENV, "files", "."),
    }
    slugs = [t.slug for t in discover(gitops)]
    assert len(slugs) == len(set(slugs))


def test_discovery_sees_a_kustomization_edited_since_the_last_run_in_the_same_process(tmp_path: Path) -> None:
    # Kustomizations are read once per run (cached): a later run, here after an edit, reads them again.
    gitops = tmp_path / "gitops"
    _kustomization(gitops / "bootstrap", ["a.yaml"])
    loose = gitops / "bootstrap" / "extra" / "b.yaml"
    _write(loose, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}})
    assert [(t.mode, t.files) for t in discover(gitops) if t.app == "bootstrap"] == [
        ("files", (loose,)),
        ("kustomize", ()),
    ]
    _kustomization(gitops / "bootstrap", ["a.yaml", "extra/b.yaml"])
    assert [(t.mode, t.files) for t in discover(gitops) if t.app == "bootstrap"] == [("kustomize", ())]


def test_locate_accepts_a_repository_or_its_gitops_folder(tmp_path: Path) -> None:
    (tmp_path / "gitops" / "apps").mkdir(parents=True)
    assert locate(tmp_path) == (tmp_path.resolve(), (tmp_path / "gitops").resolve())
    assert locate(tmp_path / "gitops") == (tmp_path.resolve(), (tmp_path / "gitops").resolve())


@pytest.mark.parametrize("where", ["missing", "file", "empty"])
def test_locate_refuses_what_holds_no_gitops_tree(tmp_path: Path, where: str) -> None:
    path = tmp_path / where
    if where == "file":
        path.write_text("x")
    elif where == "empty":
        path.mkdir()
    with pytest.raises(NoGitopsTree):
        locate(path)


# --- the CLI's errors: one line each -----------------------------------------------------------------------


def test_bad_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, out, err = run_cli(["check", str(tmp_path / "nowhere")])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "does not exist" in err


def test_missing_promtool_is_one_line_and_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gitops" / "apps").mkdir(parents=True)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # kubectl comes from the wheel's own folder, not PATH
    code, out, err = run_cli(["check", str(tmp_path)])
    assert code == 3
    assert out == ""
    assert err.count("\n") == 1
    assert "promtool is not installed" in err
    assert "apt-get install" in err


# --- validators ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "core"),
    [
        ("v1", True),
        ("apps/v1", True),
        ("networking.k8s.io/v1", True),
        ("policy/v1", True),
        ("networking.istio.io/v1", False),
        ("argoproj.io/v1alpha1", False),
        ("monitoring.coreos.com/v1", False),
    ],
)
def test_core_groups(api_version: str, core: bool) -> None:
    assert is_core(api_version) is core


def test_core_schema_rejects_unknown_fields_and_unknown_kinds() -> None:
    schemas = CoreSchemas()
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"prots": []}}
    errors = schemas.errors(service)
    assert errors
    assert "'prots' was unexpected" in errors[0]
    assert schemas.errors({"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "a"}}) is None
    assert schemas.errors({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {}}) == []


def test_istio_models_forbid_extra_fields_and_snake_case() -> None:
    schemas = ModelSchemas()
    base = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "a"}}
    assert schemas.errors({**base, "spec": {"hosts": ["a"], "exportTo": ["."]}}) == []
    assert schemas.errors({**base, "spec": {"hosts": ["a"], "export_to": ["."]}}) == [
        "spec.export_to: unknown field (not in the schema)"
    ]
    assert schemas.errors({**base, "kind": "VirtualServize"}) is None


def test_npm_models_catch_unknown_fields_but_accept_real_ones() -> None:
    home = npm_models.ensure_installed()
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "p", "namespace": "argocd", "labels": {"any": "label"}},
        "spec": {"description": "a real field the package's validator never reads", "sourceRepos": ["*"]},
    }
    application = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "a"},
        "spec": {
            "project": "p",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "a"},
            "source": {"repoURL": "https://x", "path": "p", "helm": {"valuesObject": {"free": {"form": 1}}}},
            "syncPolicy": {"syncOptionz": []},
        },
    }
    store = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": "s"},
        "spec": {"provider": {"aws": {"service": "SecretsManager", "regoin": "eu-west-1"}}},
    }
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}}

    verdicts = npm_models.validate_batch([project, application, store, rollout], home)

    assert verdicts[0] == []
    assert verdicts[1] == ["spec.syncPolicy.syncOptionz: unknown field (not in the schema)"]
    assert verdicts[2] is not None
    assert "spec.provider.aws.regoin: unknown field (not in the schema)" in verdicts[2]
    assert "spec.provider.aws: must have required property region" in verdicts[2]
    assert verdicts[3] is None


# --- generated SLO tests ---------------------------------------------------------------------------------


def _slo_groups() -> list[dict[str, Any]]:
    selector = 'namespace="shop", job="shop", route!~"/livez|/readyz"'
    return [
        {
            "name": "sli",
            "rules": [
                {
                    "record": "errors:ratio_rate5m",
                    "expr": f'sum(rate(http_requests_total{{{selector}, status=~"5.."}}[5m])) '
                    f"/ sum(rate(http_requests_total{{{selector}}}[5m]))",
                },
                {
                    "record": "slow:ratio_rate5m",
                    "expr": f'1 - sum(rate(http_request_duration_seconds_bucket{{{selector}, le="0.3"}}[5m])) '
                    f"/ sum(rate(http_request_duration_seconds_count{{{selector}}}[5m]))",
                },
            ],
        },
        {
            "name": "alerts",
            "rules": [
                {"alert": "ErrorsFast", "expr": "errors:ratio_rate5m > 14.4 * 0.001", "for": "2m",
                 "labels": {"severity": "critical"}},
                {"alert": "SlowTicket", "expr": "slow:ratio_rate5m > 0.01", "labels": {"severity": "warning"}},
                {"alert": "TargetDown", "expr": 'up{job="shop"} == 0', "labels": {"severity": "page"}},
            ],
        },
    ]  # fmt: skip


def test_synthesized_tests_follow_the_rules_and_the_slo() -> None:
    tests = synthesize(_slo_groups(), Slo(availability_budget=0.001, latency_budget=0.01), "r.rules.yaml")
    assert tests is not None
    # TargetDown reads no contract metric: no synthetic series can speak for it.
    assert tests.paging == ("ErrorsFast",)
    assert tests.watched == ("ErrorsFast", "SlowTicket")
    assert tests.eval_minutes >= 2 + 5  # the longest `for`, then time for the windows to fill
    outage, healthy = tests.test_file["tests"]
    assert OUTAGE_QUERY in outage["promql_expr_test"][0]["expr"]
    assert outage["promql_expr_test"][0]["exp_samples"] == [{"labels": '{alertname="ErrorsFast"}', "value": 1}]
    assert healthy["promql_expr_test"][0]["exp_samples"] == []
    series = {s["series"]: s["values"] for s in healthy["input_series"]}
    labels = 'job="shop", method="GET", namespace="shop", route="/v1/items"'
    # Half the error budget: 0.05 % of a million requests a minute are 5xx, 0.5 % of them slow.
    assert series[f'http_requests_total{{{labels}, status="500"}}'] == "0+500x" + str(tests.eval_minutes + 5)
    bucket = (
        'http_request_duration_seconds_bucket{job="shop", le="0.3", method="GET", namespace="shop", '
        'route="/v1/items", status="200"}'
    )
    assert series[bucket].startswith(f"0+{999_500 - round(999_500 * 0.005)}x")
    outage_series = {s["series"] for s in outage["input_series"]}
    assert all('status="500"' in s for s in outage_series)


def test_synthesized_series_carry_what_the_fleet_rules_join_on(repo_root: Path) -> None:
    """The fleet's SLO rules select no service: the series carry the namespace, job and latency bucket of the
    objectives the service records, so the joins `on (namespace, job)` and `on (..., le)` find them."""
    fleet = fleet_slo_groups(repo_root / "gitops")
    objectives = {
        "name": "objectives",
        "rules": [
            {"record": "namespace_job:slo_availability_error_budget:ratio", "expr": "vector(0.001)",
             "labels": {"namespace": "shop", "job": "shop", "team": "team-shop"}},
            {"record": "namespace_job:slo_latency_threshold:seconds", "expr": "vector(0.5)",
             "labels": {"namespace": "shop", "job": "shop", "le": "0.5"}},
        ],
    }  # fmt: skip
    assert fleet, "gitops/addons/dashboards/slo-rules.yaml holds the fleet's SLO rules"
    tests = synthesize([*fleet, objectives], Slo(availability_budget=0.001, latency_budget=0.01), "r.rules.yaml")
    assert tests is not None
    assert "AvailabilityErrorBudgetBurnFast" in tests.paging
    series = [s["series"] for s in tests.test_file["tests"][0]["input_series"]]
    assert all('namespace="shop"' in s and 'job="shop"' in s for s in series)
    assert any(s.startswith("http_request_duration_seconds_bucket{") and 'le="0.5"' in s for s in series)


def test_no_tests_without_alerts_on_the_contract_metrics() -> None:
    groups = [{"name": "g", "rules": [{"alert": "Down", "expr": "up == 0", "labels": {"severity": "page"}}]}]
    assert synthesize(groups, Slo(), "r.rules.yaml") is None


# --- source lookup -------------------------------------------------------------------------------------------


def test_source_lookup_allows_generator_hashes_and_name_prefixes(tmp_path: Path) -> None:
    cm, deploy = tmp_path / "kustomization.yaml", tmp_path / "deployment.yaml"
    sources = {("ConfigMap", "settings"): cm, ("Deployment", "api"): deploy}
    assert lookup(sources, "Deployment", "api") == deploy
    assert lookup(sources, "ConfigMap", "settings-5fk2g4m8bd") == cm
    assert lookup(sources, "Deployment", "prod-api") == deploy
    assert lookup(sources, "Service", "api") is None
