"""The service dashboard: built with grafana-foundation-sdk, committed as a Jinja template, rendered per service.

Regenerate the template after changing platform/groundwork/dashboards/service.py:
    uv run python -m groundwork.dashboards.template
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

from groundwork.dashboards.service import ServiceDashboard, to_json
from groundwork.dashboards.template import TEMPLATE_FILE, jinja_template

CONTRACT_METRICS = {
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_count",
    "http_requests_in_flight",
}


@pytest.fixture(scope="module", params=sorted(ANSWER_SETS))
def app(request: pytest.FixtureRequest, repo_root: Path) -> RenderedApp:
    return rendered_app(request.param, repo_root)


def spec_for(answers: dict[str, object]) -> ServiceDashboard:
    """What Copier's answers and computed values give the dashboard (copier.yml, deploy section)."""
    availability = float(answers.get("slo_availability_target", 99.9))  # type: ignore[arg-type]
    latency = float(answers.get("slo_latency_target", 99.0))  # type: ignore[arg-type]
    threshold_ms = int(answers.get("slo_latency_threshold_ms", 300))  # type: ignore[call-overload]
    return ServiceDashboard(
        service=str(answers["service_name"]),
        domain=str(answers["domain"]),
        owner_team=str(answers["owner_team"]),
        availability_target=str(availability),
        availability_error_budget="%g" % ((100 - availability) / 100),
        latency_target=str(latency),
        latency_error_budget="%g" % ((100 - latency) / 100),
        latency_threshold_ms=str(threshold_ms),
        latency_le=str(threshold_ms / 1000),
    )


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in panels(dashboard) for target in panel["targets"]]


def test_committed_template_is_what_the_generator_makes(repo_root: Path) -> None:
    committed = (repo_root / TEMPLATE_FILE).read_text(encoding="utf-8")
    assert committed == jinja_template(), (
        f"{TEMPLATE_FILE} is stale: run 'uv run python -m groundwork.dashboards.template' and commit the result"
    )


def test_regenerate_command_reports_the_template_current(repo_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "groundwork.dashboards.template", "--check"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "is current" in result.stdout


def test_rendered_dashboard_is_exactly_the_generators_for_that_service(app: RenderedApp) -> None:
    rendered = (app.path / "base" / "dashboard.json").read_text(encoding="utf-8")
    assert rendered == to_json(spec_for(app.answers))


def test_panels_cover_the_golden_signals_and_slo_budgets(app: RenderedApp) -> None:
    dashboard = json.loads((app.path / "base" / "dashboard.json").read_text(encoding="utf-8"))
    titles = [panel["title"] for panel in panels(dashboard)]
    for signal in ("Traffic", "Errors", "Latency", "Saturation"):
        assert any(title.startswith(signal) for title in titles), f"no {signal} panel in {titles}"
    assert any("Availability error budget left" in title for title in titles)
    assert any("Latency error budget left" in title for title in titles)
    assert any("burn rate" in title for title in titles)
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    for panel in panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_queries_use_the_contract_metric_names_for_this_service(app: RenderedApp) -> None:
    dashboard = json.loads((app.path / "base" / "dashboard.json").read_text(encoding="utf-8"))
    exprs = expressions(dashboard)
    used = {name for expr in exprs for name in re.findall(r"\bhttp_[a-z_]+", expr)}
    assert used == CONTRACT_METRICS, "every http_* series must be the contract's"
    for expr in exprs:
        for selector in re.findall(r"\{([^}]*)\}", expr):
            if "namespace=" in selector:
                assert f'namespace="{app.service}"' in selector
    le = str(int(app.answers.get("slo_latency_threshold_ms", 300)) / 1000)  # type: ignore[call-overload]
    assert any(f'le="{le}"' in expr for expr in exprs)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing: scripts/install-tools installs it")
def test_every_panel_query_is_valid_promql(app: RenderedApp, tmp_path: Path) -> None:
    """promtool parses each query (as a recording rule, Grafana's interval variables given a value)."""
    dashboard = json.loads((app.path / "base" / "dashboard.json").read_text(encoding="utf-8"))
    rules = [
        {"record": f"dashboard:query_{i}", "expr": expr.replace("$__rate_interval", "5m")}
        for i, expr in enumerate(expressions(dashboard))
    ]
    (tmp_path / "queries.yaml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        ["promtool", "check", "rules", str(tmp_path / "queries.yaml")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
