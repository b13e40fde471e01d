"""SLO alerts: the SRE workbook's multiwindow multi-burn-rate alerts over recording rules, judged by promtool.

The fleet's SLO rules (gitops/addons/dashboards/slo-rules.yaml) hold the recordings and alerts once; a rendered
entry records its objectives. `promtool test rules` feeds synthetic contract metrics to both and checks which
alerts fire:
an error ratio of m x error budget must fire exactly the alerts whose factor is below m, probe traffic must
not count, and a fast-burn page must stop soon after the outage ends (the short window).
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import ANSWER_SETS, RenderedApp, one, rendered_app

WINDOWS = ["5m", "30m", "1h", "6h", "3d"]
# (speed, factor, long window, short window, severity): Google SRE workbook, "Alerting on SLOs", table 5-8.
BURNS = [
    ("Fast", 14.4, "1h", "5m", "critical"),
    ("Medium", 6.0, "6h", "30m", "critical"),
    ("Slow", 1.0, "3d", "6h", "warning"),
]
SLOS = ["availability", "latency"]
# Large enough that every bad-request count below is a whole number (exact counters, no float drift).
REQUESTS_PER_MINUTE = 100_000

needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool missing: scripts/install-tools installs Debian's prometheus"
)


@pytest.fixture(scope="module", params=sorted(ANSWER_SETS))
def app(request: pytest.FixtureRequest, repo_root: Path) -> RenderedApp:
    return rendered_app(request.param, repo_root)


FLEET_RULES = Path(__file__).resolve().parents[2] / "gitops" / "addons" / "dashboards" / "slo-rules.yaml"


def rule_groups(app: RenderedApp) -> dict[str, Any]:
    """The entry's own rules: its objectives."""
    return dict(one(app.built("prod"), "PrometheusRule")["spec"])


def fleet_groups() -> dict[str, Any]:
    """The fleet's SLO rules: every service's SLI recordings and burn-rate alerts."""
    return dict(yaml.safe_load(FLEET_RULES.read_text())["spec"])


def runbook(app: RenderedApp) -> str:
    return f"https://github.com/acme/platform/blob/main/gitops/apps/{app.service}/README.md#alerts"


def write_rules(app: RenderedApp, folder: Path, fleet: dict[str, Any] | None = None) -> list[str]:
    (folder / "fleet.yaml").write_text(yaml.safe_dump(fleet or fleet_groups()))
    (folder / "service.yaml").write_text(yaml.safe_dump(rule_groups(app)))
    return ["fleet.yaml", "service.yaml"]


def budgets(app: RenderedApp) -> dict[str, float]:
    answers = app.answers
    return {
        "availability": (100 - float(answers.get("slo_availability_target", 99.9))) / 100,  # type: ignore[arg-type]
        "latency": (100 - float(answers.get("slo_latency_target", 99.0))) / 100,  # type: ignore[arg-type]
    }


def latency_le(app: RenderedApp) -> str:
    return str(int(app.answers.get("slo_latency_threshold_ms", 300)) / 1000)  # type: ignore[call-overload]


def test_the_entry_records_its_objectives_for_the_fleet_rules(app: RenderedApp) -> None:
    (objectives,) = rule_groups(app)["groups"]
    records = {rule["record"]: rule for rule in objectives["rules"]}
    assert sorted(records) == sorted(
        [
            "namespace_job:slo_availability_error_budget:ratio",
            "namespace_job:slo_latency_error_budget:ratio",
            "namespace_job:slo_latency_threshold:seconds",
        ]
    )
    for slo, budget in budgets(app).items():
        rule = records[f"namespace_job:slo_{slo}_error_budget:ratio"]
        assert float(rule["expr"].removeprefix("vector(").removesuffix(")")) == pytest.approx(budget)
        assert rule["labels"] == {
            "namespace": app.service,
            "job": app.service,
            "team": app.answers["owner_team"],
            "runbook_url": runbook(app),
        }
    threshold = records["namespace_job:slo_latency_threshold:seconds"]
    assert threshold["labels"] == {"namespace": app.service, "job": app.service, "le": latency_le(app)}
    assert float(threshold["expr"].removeprefix("vector(").removesuffix(")")) == float(latency_le(app))


def test_fleet_recording_rules_cover_every_window_of_both_slis() -> None:
    (sli, _alerts) = fleet_groups()["groups"]
    records = {rule["record"]: rule["expr"] for rule in sli["rules"]}
    assert sorted(records) == sorted(f"namespace_job:slo_{slo}_errors:ratio_rate{w}" for slo in SLOS for w in WINDOWS)
    selector = 'route!~"/livez|/readyz|/startupz|/metrics"'
    for window in WINDOWS:
        availability = records[f"namespace_job:slo_availability_errors:ratio_rate{window}"]
        assert f'http_requests_total{{{selector}, status=~"5.."}}[{window}]' in availability
        latency = records[f"namespace_job:slo_latency_errors:ratio_rate{window}"]
        assert f"http_request_duration_seconds_bucket{{{selector}}}[{window}]" in latency
        assert "and on (namespace, job, le) namespace_job:slo_latency_threshold:seconds" in latency
        assert f"http_request_duration_seconds_count{{{selector}}}[{window}]" in latency
        for slo, expr in (("availability", availability), ("latency", latency)):
            assert expr.endswith(f'and on (namespace, job) namespace_job:slo_{slo}_error_budget:ratio{{team!=""}}')


def test_fleet_alerts_pair_the_workbook_windows_and_factors() -> None:
    (_, alerts) = fleet_groups()["groups"]
    by_name = {rule["alert"]: rule for rule in alerts["rules"]}
    assert len(by_name) == len(alerts["rules"]) == 6
    for slo in SLOS:
        budget = f"namespace_job:slo_{slo}_error_budget:ratio"
        for speed, factor, long, short, severity in BURNS:
            rule = by_name[f"{slo.title()}ErrorBudgetBurn{speed}"]
            labels = rule["labels"]
            assert labels["severity"] == severity
            assert (labels["long_window"], labels["short_window"]) == (long, short)
            assert float(labels["burn_rate"]) == factor
            left, joint, right = rule["expr"].split("\n")
            assert joint == "and on (namespace, job)"
            for side, window in ((left, long), (right, short)):
                metric, threshold = side.split(" > on (namespace, job) ")
                assert metric == f"namespace_job:slo_{slo}_errors:ratio_rate{window}"
                scaled = threshold.removeprefix("group_left (team, runbook_url) ")
                factor_text, right_side = scaled.strip("()").split(" * ")
                assert float(factor_text) == factor
                assert right_side == budget + '{team!=""}'  # entries that record their budgets with a team
            assert rule["annotations"]["runbook_url"] == "{{ $labels.runbook_url }}"


@needs_promtool
def test_rules_pass_promtool_check(app: RenderedApp, tmp_path: Path) -> None:
    files = write_rules(app, tmp_path)
    result = subprocess.run(["promtool", "check", "rules", *files], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # the fleet: 10 SLI recordings and 6 alerts; the service: 3 recorded objectives
    assert "SUCCESS: 16 rules found" in result.stdout
    assert "SUCCESS: 3 rules found" in result.stdout


def _series(app: RenderedApp, metric: str, labels: dict[str, str], values: str) -> dict[str, str]:
    all_labels = {"namespace": app.service, "job": app.service, "method": "GET", **labels}
    text = ", ".join(f'{key}="{value}"' for key, value in all_labels.items())
    return {"series": f"{metric}{{{text}}}", "values": values}


def _traffic(
    app: RenderedApp, slo: str, bad_per_minute: float, minutes: int, recovered: int = 0
) -> list[dict[str, str]]:
    """Counters for `minutes` of user traffic with `bad_per_minute` bad requests, then `recovered` clean minutes,
    plus heavy probe traffic that is all bad: it must not count."""
    n = REQUESTS_PER_MINUTE
    bad_then_none = f"0+{bad_per_minute}x{minutes}" + (
        f" {bad_per_minute * minutes}+0x{recovered}" if recovered else ""
    )
    good = f"0+{n - bad_per_minute}x{minutes}"
    if recovered:
        good += f" {(n - bad_per_minute) * minutes + n}+{n}x{recovered}"
    total_minutes = minutes + recovered
    user = {"route": "/v1/items/{item_id}"}
    probe = {"route": "/readyz"}
    if slo == "availability":
        return [
            _series(app, "http_requests_total", {**user, "status": "200"}, good),
            _series(app, "http_requests_total", {**user, "status": "500"}, bad_then_none),
            _series(app, "http_requests_total", {**probe, "status": "503"}, f"0+{n}x{total_minutes}"),
        ]
    le = latency_le(app)
    # Cumulative buckets: fast requests are within le, every request is within +Inf.
    all_requests = f"0+{n}x{total_minutes}"
    return [
        _series(app, "http_request_duration_seconds_bucket", {**user, "status": "200", "le": le}, good),
        _series(app, "http_request_duration_seconds_bucket", {**user, "status": "200", "le": "+Inf"}, all_requests),
        _series(app, "http_request_duration_seconds_count", {**user, "status": "200"}, all_requests),
        _series(
            app, "http_request_duration_seconds_bucket", {**probe, "status": "200", "le": le}, f"0+0x{total_minutes}"
        ),
        _series(app, "http_request_duration_seconds_bucket", {**probe, "status": "200", "le": "+Inf"}, all_requests),
        _series(app, "http_request_duration_seconds_count", {**probe, "status": "200"}, all_requests),
    ]


def _expected(app: RenderedApp, slo: str, speed: str, firing: bool) -> dict[str, Any]:
    name = f"{slo.title()}ErrorBudgetBurn{speed}"
    (rule,) = [r for r in fleet_groups()["groups"][1]["rules"] if r["alert"] == name]
    own = {**rule["labels"], "service": app.service}
    labels = {"namespace": app.service, "job": app.service, "team": app.answers["owner_team"], **own}
    labels["runbook_url"] = runbook(app)
    return {"eval_time": "120m", "alertname": name, "exp_alerts": [{"exp_labels": labels}] if firing else []}


# multiple of the error budget -> the alerts that must fire (and all others must not)
# (on both sides of each factor: 1, 6 and 14.4)
SCENARIOS = {
    0.5: set(),
    2.0: {"Slow"},
    5.0: {"Slow"},
    8.0: {"Medium", "Slow"},
    13.0: {"Medium", "Slow"},
    16.0: {"Fast", "Medium", "Slow"},
}


@pytest.mark.slow
@needs_promtool
def test_alerts_fire_exactly_when_both_windows_burn_faster_than_their_factor(app: RenderedApp, tmp_path: Path) -> None:
    quiet_rules = fleet_groups()  # annotations render $value; this test is about which alerts fire
    for rule in quiet_rules["groups"][1]["rules"]:
        del rule["annotations"]
    files = write_rules(app, tmp_path, quiet_rules)
    tests = []
    for slo in SLOS:
        for multiple, firing in SCENARIOS.items():
            bad = round(multiple * budgets(app)[slo] * REQUESTS_PER_MINUTE)
            tests.append(
                {
                    "name": f"{slo} errors at {multiple}x budget",
                    "interval": "1m",
                    "input_series": _traffic(app, slo, bad, minutes=121),
                    "alert_rule_test": [_expected(app, slo, speed, speed in firing) for speed, *_ in BURNS],
                }
            )
        # A 20x outage for 90 minutes, then 30 clean minutes: the pages resolve (their short windows are
        # clean), the ticket stays (6h short window still over budget).
        bad = round(20 * budgets(app)[slo] * REQUESTS_PER_MINUTE)
        tests.append(
            {
                "name": f"{slo} outage over",
                "interval": "1m",
                "input_series": _traffic(app, slo, bad, minutes=90, recovered=31),
                "alert_rule_test": [_expected(app, slo, speed, speed == "Slow") for speed, *_ in BURNS],
            }
        )
    _promtool_passes(tmp_path, files, tests)


@needs_promtool
def test_an_entry_recording_budgets_without_a_team_is_left_to_its_own_rules(app: RenderedApp, tmp_path: Path) -> None:
    """Entries rendered before the fleet's rules (v0.2.0) record their own SLIs and alerts, and budgets without a
    team: the fleet's rules neither record for them (no duplicate series) nor alert on them (no second page)."""
    service = copy.deepcopy(rule_groups(app))  # the rendered objects are shared by the module's tests
    for rule in service["groups"][0]["rules"]:
        rule["labels"] = {k: v for k, v in rule["labels"].items() if k not in ("team", "runbook_url")}
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(fleet_groups()))
    (tmp_path / "service.yaml").write_text(yaml.safe_dump(service))
    bad = round(20 * budgets(app)["availability"] * REQUESTS_PER_MINUTE)
    test = {
        "interval": "1m",
        "input_series": _traffic(app, "availability", bad, minutes=121),
        "alert_rule_test": [
            {"eval_time": "120m", "alertname": f"AvailabilityErrorBudgetBurn{speed}", "exp_alerts": []}
            for speed, *_ in BURNS
        ],
        "promql_expr_test": [
            {"expr": "namespace_job:slo_availability_errors:ratio_rate1h", "eval_time": "120m", "exp_samples": []}
        ],
    }
    _promtool_passes(tmp_path, ["fleet.yaml", "service.yaml"], [test])


@needs_promtool
def test_alert_description_renders_the_burning_ratio(app: RenderedApp, tmp_path: Path) -> None:
    files = write_rules(app, tmp_path)
    ratio = 20 * budgets(app)["availability"]
    expected = _expected(app, "availability", "Fast", firing=True)
    (rule,) = [r for r in fleet_groups()["groups"][1]["rules"] if r["alert"] == "AvailabilityErrorBudgetBurnFast"]
    annotations = {
        key: value.replace("{{ $value | humanizePercentage }}", f"{ratio * 100:.4g}%")
        .replace("{{ $labels.job }}", app.service)
        .replace("{{ $labels.runbook_url }}", runbook(app))
        for key, value in rule["annotations"].items()
    }
    expected["exp_alerts"][0]["exp_annotations"] = annotations
    test = {
        "interval": "1m",
        "input_series": _traffic(app, "availability", round(ratio * REQUESTS_PER_MINUTE), minutes=121),
        "alert_rule_test": [expected],
    }
    _promtool_passes(tmp_path, files, [test])
    assert f"{ratio * 100:.4g}% of the requests to {app.service} were answered with a 5xx" in annotations["description"]
    assert annotations["runbook_url"] == runbook(app)


def _promtool_passes(folder: Path, rule_files: list[str], tests: list[dict[str, Any]]) -> None:
    """`promtool test rules` of `tests` over `rule_files` (in `folder`) passes."""
    unit = {"rule_files": rule_files, "evaluation_interval": "1m", "tests": tests}
    (folder / "unit.yaml").write_text(yaml.safe_dump(unit, sort_keys=False))
    result = subprocess.run(
        ["promtool", "test", "rules", "unit.yaml"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
