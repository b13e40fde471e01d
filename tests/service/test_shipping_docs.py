"""The runbook and the Renovate configuration of a generated service."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from shipping_support import REPO_ROOT, TWO_DOWNSTREAMS, render, render_entry


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("shipping-docs") / "checkout", TWO_DOWNSTREAMS)


def test_runbook_covers_health_dashboards_alerts_rollback_and_on_call(project: Path) -> None:
    runbook = (project / "docs" / "runbook.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", runbook, flags=re.MULTILINE)
    assert headings == ["Is it healthy?", "Dashboards", "Alerts", "Roll back", "On-call"]
    for probe in ["/livez", "/readyz", "/startupz", "/metrics"]:
        assert f"localhost:8080{probe}" in runbook
    assert "kubectl -n checkout port-forward svc/checkout 8080:80" in runbook
    assert "Revert" in runbook
    assert "deploy/checkout/dev" in runbook, "names the branch of the deployment pull request CI opens"
    assert "`team-checkout`" in runbook
    assert "`inventory`, `payment`" in runbook


def test_runbook_names_exactly_the_alerts_that_page_for_the_service(project: Path, tmp_path: Path) -> None:
    """The service's deploy entry records its objectives; the fleet's SLO rules alert on every service that
    records them. The runbook names each of those alerts."""
    entry = render_entry(tmp_path, {**TWO_DOWNSTREAMS, "image_digest": "sha256:" + "0" * 64})
    recorded = {rule["record"] for doc in _rules(entry.rglob("*.yaml")) for rule in doc if "record" in rule}
    fleet = list(_rules([REPO_ROOT / "gitops" / "addons" / "dashboards" / "slo-rules.yaml"]))
    alerts = {
        rule["alert"]
        for doc in fleet
        for rule in doc
        if "alert" in rule and any(series in rule["expr"] for series in recorded)
    }
    assert alerts, "the fleet's SLO rules alert on the objectives the deploy entry records"
    runbook = (project / "docs" / "runbook.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Z][A-Za-z]+)`", runbook))
    assert alerts <= named, f"alerts without a runbook entry: {sorted(alerts - named)}"


def test_runbook_names_the_event_flow_alerts_of_the_deploy_entry(tmp_path: Path) -> None:
    """events=kafka: the deploy entry's own alerts on the outbox and the consumer each have a runbook row, and a
    database=postgres runbook says where a failed migration shows."""
    answers = {
        **TWO_DOWNSTREAMS,
        "database": "postgres",
        "events": "kafka",
        "publishes": ["checkout.events"],
        "consumes": ["payment.events"],
    }
    project = render(tmp_path / "checkout", answers)
    entry = render_entry(tmp_path / "platform", {**answers, "image_digest": "sha256:" + "0" * 64})
    alerts = {rule["alert"] for doc in _rules(entry.rglob("*.yaml")) for rule in doc if "alert" in rule}
    assert alerts == {"OutboxBacklogStuck", "ConsumerLagHigh", "MessagesDeadLettered"}
    runbook = (project / "docs" / "runbook.md").read_text(encoding="utf-8")
    rows = {m for m in re.findall(r"^\| `([A-Z][A-Za-z]+)`", runbook, flags=re.MULTILINE)}
    assert alerts <= rows, f"alerts without a runbook row: {sorted(alerts - rows)}"
    assert "kubectl -n checkout logs job/checkout-migrate" in runbook


def _rules(paths: Iterable[Path]) -> Iterator[list[dict[str, Any]]]:
    """The rules of each PrometheusRule group in `paths`."""
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc.get("kind") == "PrometheusRule":
                yield from (group["rules"] for group in doc["spec"]["groups"])


def test_renovate_config_is_valid_and_pins_and_groups(project: Path) -> None:
    path = project / "renovate.json"
    check = shutil.which("check-jsonschema")
    assert check, "check-jsonschema is a dev dependency of groundwork: run `uv sync`"
    result = subprocess.run(
        [check, "--builtin-schema", "vendor.renovate", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    config = json.loads(path.read_text(encoding="utf-8"))
    assert {"docker:pinDigests", "helpers:pinGitHubActionDigestsToSemver"} <= set(config["extends"])
    groups = {rule.get("groupName"): rule for rule in config["packageRules"]}
    assert groups["OpenTelemetry"]["matchPackageNames"] == ["opentelemetry-*"]
    assert "digest" in groups["GitHub Actions"]["matchUpdateTypes"]
    assert groups["GitHub Actions"]["matchManagers"] == ["github-actions"]


def test_renovate_tracks_the_uv_version_in_ci(project: Path) -> None:
    manager = json.loads((project / "renovate.json").read_text(encoding="utf-8"))["customManagers"][0]
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    pattern = manager["matchStrings"][0].replace("(?<", "(?P<")  # Renovate's named groups in Python's syntax
    versions = {m["currentValue"] for m in re.finditer(pattern, workflow)}
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    image_version = re.search(r"ghcr\.io/astral-sh/uv:([0-9.]+)@", dockerfile)
    assert image_version
    assert versions == {image_version.group(1)}, "CI's uv and the image's uv are the same version"
