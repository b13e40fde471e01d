"""SLO alerts: the SRE workbook's multiwindow multi-burn-rate alerts over recording rules, judged by promtool.

`promtool test rules` feeds synthetic contract metrics to the rendered rules and checks which alerts fire:
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


def rule_groups(app: RenderedApp) -> dict[str, Any]:
    return dict(one(app.built("prod"), "PrometheusRule")["spec"])


def budgets(app: RenderedApp) -> dict[str, float]:
    answers = app.answers
    return {
        "availability": (100 - float(answers.get("slo_availability_target", 99.9))) / 100,  # type: ignore[arg-type]
        "latency": (100 - float(answers.get("slo_latency_target", 99.0))) / 100,  # type: ignore[arg-type]
    }


def latency_le(app: RenderedApp) -> str:
    return str(int(app.answers.get("slo_latency_threshold_ms", 300)) / 1000)  # type: ignore[call-overload]


def test_recording_rules_cover_every_window_of_both_slis(app: RenderedApp) -> None:
    (sli, _alerts) = rule_groups(app)["groups"]
    records = {rule["record"]: rule["expr"] for rule in sli["rules"]}
    objectives = [  # the service's own objectives, for the fleet's service dashboard (test_service_dashboard.py)
        "namespace_job:slo_availability_error_budget:ratio",
        "namespace_job:slo_latency_error_budget:ratio",
        "namespace_job:slo_latency_threshold:seconds",
    ]
    assert sorted(records) == sorted(
        [f"namespace_job:slo_{slo}_errors:ratio_rate{window}" for slo in SLOS for window in WINDOWS] + objectives
    )
    selector = f'namespace="{app.service}", job="{app.service}", route!~"/livez|/readyz|/startupz|/metrics"'
    for window in WINDOWS:
        availability = records[f"namespace_job:slo_availability_errors:ratio_rate{window}"]
        assert f'http_requests_total{{{selector}, status=~"5.."}}[{window}]' in availability
        latency = records[f"namespace_job:slo_latency_errors:ratio_rate{window}"]
        assert f'http_request_duration_seconds_bucket{{{selector}, le="{latency_le(app)}"}}[{window}]' in latency
        assert f"http_request_duration_seconds_count{{{selector}}}[{window}]" in latency


def test_alerts_pair_the_workbook_windows_and_factors(app: RenderedApp) -> None:
    (_, alerts) = rule_groups(app)["groups"]
    by_name = {rule["alert"]: rule for rule in alerts["rules"]}
    assert len(by_name) == len(alerts["rules"]) == 6
    for slo in SLOS:
        budget = budgets(app)[slo]
        for speed, factor, long, short, severity in BURNS:
            rule = by_name[f"{slo.title()}ErrorBudgetBurn{speed}"]
            labels = rule["labels"]
            assert labels["severity"] == severity
            assert (labels["long_window"], labels["short_window"]) == (long, short)
            assert float(labels["burn_rate"]) == factor
            assert labels["team"] == app.answers["owner_team"]
            left, joint, right = rule["expr"].split("\n")
            assert joint == "and"
            for side, window in ((left, long), (right, short)):
                metric, threshold = side.split(" > ")
                selector = f'namespace="{app.service}", job="{app.service}"'
                assert metric == f"namespace_job:slo_{slo}_errors:ratio_rate{window}{{{selector}}}"
                factor_text, budget_text = threshold.strip("()").split(" * ")
                assert float(factor_text) == factor
                assert float(budget_text) == pytest.approx(budget)
            assert rule["annotations"]["runbook_url"].endswith(f"/gitops/apps/{app.service}/README.md#alerts")


@needs_promtool
def test_rules_pass_promtool_check(app: RenderedApp, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(rule_groups(app)))
    result = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # 10 SLI recordings, 3 recorded objectives, 6 alerts
    assert "SUCCESS: 19 rules found" in result.stdout


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


def _expected(app: RenderedApp, rules: dict[str, Any], slo: str, speed: str, firing: bool) -> dict[str, Any]:
    name = f"{slo.title()}ErrorBudgetBurn{speed}"
    (rule,) = [r for r in rules["groups"][1]["rules"] if r["alert"] == name]
    labels = {"namespace": app.service, "job": app.service, **rule["labels"]}
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
    rules = rule_groups(app)
    quiet_rules = copy.deepcopy(rules)  # annotations render $value; this test is about which alerts fire
    for rule in quiet_rules["groups"][1]["rules"]:
        del rule["annotations"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(quiet_rules))
    tests = []
    for slo in SLOS:
        for multiple, firing in SCENARIOS.items():
            bad = round(multiple * budgets(app)[slo] * REQUESTS_PER_MINUTE)
            tests.append(
                {
                    "name": f"{slo} errors at {multiple}x budget",
                    "interval": "1m",
                    "input_series": _traffic(app, slo, bad, minutes=121),
                    "alert_rule_test": [_expected(app, rules, slo, speed, speed in firing) for speed, *_ in BURNS],
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
                "alert_rule_test": [_expected(app, rules, slo, speed, speed == "Slow") for speed, *_ in BURNS],
            }
        )
    unit = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}
    (tmp_path / "unit.yaml").write_text(yaml.safe_dump(unit, sort_keys=False))
    result = subprocess.run(
        ["promtool", "test", "rules", "unit.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_alert_description_renders_the_burning_ratio(app: RenderedApp, tmp_path: Path) -> None:
    rules = rule_groups(app)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    ratio = 20 * budgets(app)["availability"]
    expected = _expected(app, rules, "availability", "Fast", firing=True)
    (rule,) = [r for r in rules["groups"][1]["rules"] if r["alert"] == "AvailabilityErrorBudgetBurnFast"]
    annotations = dict(rule["annotations"])
    annotations["description"] = annotations["description"].replace(
        "{{ $value | humanizePercentage }}", f"{ratio * 100:.4g}%"
    )
    expected["exp_alerts"][0]["exp_annotations"] = annotations
    unit = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": _traffic(app, "availability", round(ratio * REQUESTS_PER_MINUTE), minutes=121),
                "alert_rule_test": [expected],
            }
        ],
    }
    (tmp_path / "unit.yaml").write_text(yaml.safe_dump(unit, sort_keys=False))
    result = subprocess.run(
        ["promtool", "test", "rules", "unit.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{ratio * 100:.4g}% of the requests to {app.service} were answered with a 5xx" in annotations["description"]
