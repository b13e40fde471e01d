"""Inverse Conway: a team owning more than 3 services is a warning (the item flips to warn, the score keeps
it), unless its Group is marked platform-supported."""

from __future__ import annotations

from pathlib import Path

import pytest
from readiness_support import add_service, copy_repo, edit, judge, not_passing, statuses

from groundwork.readiness.model import Report, Status

PLATFORM_SUPPORTED = '    groundwork.dev/platform-supported: "true"\n'


@pytest.fixture(scope="module")
def five_services(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scratch = tmp_path_factory.mktemp("team-load")
    root = copy_repo(scratch / "repo")
    for name in ("cart", "pricing", "returns"):  # team-commerce already owns order and inventory
        add_service(root, name, "team-commerce", "commerce", scratch)
    return root


def _report(root: Path) -> Report:
    # The new services have no rendered repository yet: render every service, as the command does by default.
    return judge(root, render=True)


def test_a_team_with_five_services_is_a_warning(five_services: Path) -> None:
    report = _report(five_services)
    assert statuses(report) == {
        1: Status.PASS,
        2: Status.PASS,
        3: Status.PASS,
        4: Status.PASS,
        5: Status.PASS,
        6: Status.WARN,
    }
    assert (report.score, report.warnings) == (6, 1)
    ((number, check),) = not_passing(report)
    assert (number, check.name, check.team, check.status) == (6, "team-load", "team-commerce", Status.WARN)
    assert "team-commerce owns 5 services (cart, inventory, order, pricing, returns)" in check.message
    assert "catalog/groups.yaml:" in check.message
    assert check.evidence.counts == {"services": 5}


def test_a_platform_supported_team_may_own_more(five_services: Path, tmp_path: Path) -> None:
    edit(
        five_services / "catalog" / "groups.yaml",
        "    groundwork.dev/on-call: https://oncall.example.com/schedules/team-commerce\n",
        "    groundwork.dev/on-call: https://oncall.example.com/schedules/team-commerce\n" + PLATFORM_SUPPORTED,
    )
    try:
        report = _report(five_services)
    finally:
        edit(five_services / "catalog" / "groups.yaml", PLATFORM_SUPPORTED, "")
    assert [item.status for item in report.items] == [Status.PASS] * 6
    load = next(c for item in report.items for c in item.checks if c.team == "team-commerce")
    assert "platform-supported" in load.message
