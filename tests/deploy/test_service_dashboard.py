"""The fleet's one service dashboard: built with grafana-foundation-sdk, committed once in
gitops/addons/dashboards/service.json, shown for any service through its `namespace` and `service` variables;
what is a service's own (its SLO objectives) comes from its PrometheusRule, rendered by the deploy template.

Regenerate after changing platform/groundwork/dashboards/service.py:
    uv run python -m groundwork.dashboards.provision
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import ANSWER_SETS, RenderedApp, rendered_app

from groundwork.dashboards.provision import DASHBOARD_FILE
from groundwork.dashboards.service import to_json

CONTRACT_METRICS = {
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_count",
    "http_requests_in_flight",
}
OBJECTIVES = {
    "namespace_job:slo_availability_error_budget:ratio",
    "namespace_job:slo_latency_error_budget:ratio",
    "namespace_job:slo_latency_threshold:seconds",
}


@pytest.fixture(scope="module")
def board(repo_root: Path) -> dict[str, Any]:
    return dict(json.loads((repo_root / DASHBOARD_FILE).read_text(encoding="utf-8")))


@pytest.fixture(scope="module", params=sorted(ANSWER_SETS))
def app(request: pytest.FixtureRequest, repo_root: Path) -> RenderedApp:
    return rendered_app(request.param, repo_root)


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in panels(dashboard) for target in panel["targets"]]


def test_committed_dashboard_is_what_the_generator_makes(repo_root: Path) -> None:
    committed = (repo_root / DASHBOARD_FILE).read_text(encoding="utf-8")
    assert committed == to_json(), (
        f"{DASHBOARD_FILE} is stale: run 'uv run python -m groundwork.dashboards.provision' and commit the result"
    )


def test_regenerate_command_reports_the_dashboard_current(repo_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "groundwork.dashboards.provision", "--check"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "is current" in result.stdout


def test_the_dashboard_is_provisioned_once_by_the_dashboards_addon(repo_root: Path) -> None:
    folder = repo_root / DASHBOARD_FILE.parent
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    files = [f for generator in kustomization["configMapGenerator"] for f in generator["files"]]
    assert DASHBOARD_FILE.name in files
    copies = [p for p in (repo_root / "gitops").rglob("*.json") if '"uid": "gw-service"' in p.read_text()]
    assert copies == [repo_root / DASHBOARD_FILE]


def test_panels_cover_the_golden_signals_and_slo_budgets_of_a_chosen_service(board: dict[str, Any]) -> None:
    titles = [panel["title"] for panel in panels(board)]
    for signal in ("Traffic", "Errors", "Latency", "Saturation"):
        assert any(title.startswith(signal) for title in titles), f"no {signal} panel in {titles}"
    assert any("Availability error budget left" in title for title in titles)
    assert any("Latency error budget left" in title for title in titles)
    assert any("burn rate" in title for title in titles)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert list(variables) == ["datasource", "namespace", "service"]
    assert 'namespace="$namespace"' in variables["service"]["query"]
    for panel in panels(board):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_every_query_selects_the_chosen_service_by_the_contract_metrics(board: dict[str, Any]) -> None:
    exprs = expressions(board)
    used = {name for expr in exprs for name in re.findall(r"\bhttp_[a-z_]+", expr)}
    assert used == CONTRACT_METRICS, "every http_* series must be the contract's"
    for expr in exprs:
        for selector in re.findall(r"\{([^}]*)\}", expr):
            if "namespace=" in selector:
                assert 'namespace="$namespace"' in selector, expr
    recorded = {name for expr in exprs for name in re.findall(r"namespace_job:slo_[a-z_]+:[a-z_0-9]+", expr)}
    assert recorded >= OBJECTIVES


def test_the_events_row_reads_the_metrics_a_kafka_service_exports(board: dict[str, Any], repo_root: Path) -> None:
    module = repo_root / "templates" / "service" / "src" / "{{package_name}}"
    exported = (module / "{% if events == 'kafka' %}event_metrics.py{% endif %}").read_text(encoding="utf-8")
    rows = [panel["title"] for panel in board["panels"] if panel["type"] == "row"]
    assert rows[-1] == "Events (services with events=kafka)"
    events = {"outbox_backlog", "outbox_relay_latency_seconds_bucket", "kafka_consumer_lag", "events_consumed_total"}
    used = {name for expr in expressions(board) for name in re.findall(r"\b([a-z_]+)\{", expr) if name in events}
    assert used == events
    for name in used:
        assert f'"{re.sub(r"_(bucket|total)$", "", name)}"' in exported, name


def test_each_service_records_its_own_objectives(app: RenderedApp) -> None:
    rule = yaml.safe_load((app.path / "base" / "prometheusrule.yaml").read_text())
    records = {
        r["record"]: r for group in rule["spec"]["groups"] for r in group["rules"] if r.get("record") in OBJECTIVES
    }
    assert set(records) == OBJECTIVES
    availability = float(app.answers.get("slo_availability_target", 99.9))  # type: ignore[arg-type]
    threshold = int(app.answers.get("slo_latency_threshold_ms", 300)) / 1000  # type: ignore[call-overload]
    budget = records["namespace_job:slo_availability_error_budget:ratio"]
    assert float(budget["expr"].removeprefix("vector(").removesuffix(")")) == pytest.approx((100 - availability) / 100)
    at = records["namespace_job:slo_latency_threshold:seconds"]
    assert at["labels"] == {"namespace": app.service, "job": app.service, "le": str(threshold)}
    assert not (app.path / "base" / "dashboard.json").exists()


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing: scripts/install-tools installs it")
def test_every_panel_query_is_valid_promql(board: dict[str, Any], tmp_path: Path) -> None:
    """promtool parses each query (as a recording rule, Grafana's variables given a value)."""
    rules = [
        {
            "record": f"dashboard:query_{i}",
            "expr": expr.replace("$__rate_interval", "5m").replace("$namespace", "svc").replace("$service", "svc"),
        }
        for i, expr in enumerate(expressions(board))
    ]
    (tmp_path / "queries.yaml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        ["promtool", "check", "rules", str(tmp_path / "queries.yaml")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
