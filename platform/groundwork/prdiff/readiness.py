"""The readiness delta between two `groundwork readiness --format json` reports (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from groundwork.errors import GroundworkError


@dataclass(frozen=True)
class CheckChange:
    item: str
    check: str
    subject: str  # the service or team the check is about, "" for the fleet
    before: str  # pass, warn, fail, or "absent"
    after: str
    message: str


@dataclass(frozen=True)
class ReadinessDelta:
    score_before: int
    score_after: int
    total: int
    items: tuple[tuple[str, str, str], ...]  # (title, status before, status after) of the items that moved
    checks: tuple[CheckChange, ...]


def _checks(report: Mapping[str, Any]) -> dict[tuple[str, str, str], tuple[str, str, str]]:
    found: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    for item in report.get("items") or []:
        for check in item.get("checks") or []:
            subject = check.get("service") or check.get("team") or ""
            key = (str(item.get("key")), str(check.get("name")), str(subject))
            found[key] = (str(item.get("title")), str(check.get("status")), str(check.get("message") or ""))
    return found


def validate(report: Any, flag: str) -> Mapping[str, Any]:
    if not isinstance(report, Mapping) or report.get("schema") != 1 or not isinstance(report.get("items"), list):
        raise GroundworkError(
            f"{flag} is not a readiness report (schema 1)", "write it with 'groundwork readiness --format json'"
        )
    return report


def readiness_delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> ReadinessDelta:
    old_items = {str(i.get("key")): (str(i.get("title")), str(i.get("status"))) for i in before.get("items") or []}
    new_items = {str(i.get("key")): (str(i.get("title")), str(i.get("status"))) for i in after.get("items") or []}
    items = tuple(
        (
            new_items.get(key, old_items.get(key, (key, "")))[0],
            old_items.get(key, ("", "absent"))[1],
            new_items.get(key, ("", "absent"))[1],
        )
        for key in sorted(old_items.keys() | new_items.keys())
        if old_items.get(key, ("", "absent"))[1] != new_items.get(key, ("", "absent"))[1]
    )
    old_checks, new_checks = _checks(before), _checks(after)
    checks = []
    for key in sorted(old_checks.keys() | new_checks.keys()):
        old_status = old_checks[key][1] if key in old_checks else "absent"
        new_status = new_checks[key][1] if key in new_checks else "absent"
        if old_status == new_status:
            continue
        title, _, message = new_checks.get(key) or old_checks[key]
        checks.append(CheckChange(title, key[1], key[2], old_status, new_status, message))
    return ReadinessDelta(
        int(before.get("score") or 0), int(after.get("score") or 0), int(after.get("total") or 0), items, tuple(checks)
    )
