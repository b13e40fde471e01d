"""What "is X healthy?" reads from an Argo CD Application: the sync and health status, and what is wrong with
it (the sandbox test sees the same against the real controllers)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from groundwork.readiness.cluster import application_status


class FakeKube:
    def __init__(self, status: dict[str, Any] | None) -> None:
        self.status = status

    def __call__(self, args: Sequence[str]) -> tuple[int, str, str]:
        if self.status is None:
            return 1, "", 'applications.argoproj.io "x" not found'
        return 0, json.dumps({"status": self.status}), ""


SYNCED = {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (SYNCED, ("Synced", "Healthy", [])),
        (None, ("Missing", "Missing", [])),
        (
            {
                "sync": {"status": "Unknown"},
                "health": {"status": "Healthy"},
                "conditions": [
                    {"type": "ComparisonError", "message": "failed to calculate diff: .spec.x: field not declared"},
                    {"type": "OrphanedResourceWarning", "message": "not an error"},
                ],
            },
            ("Unknown", "Healthy", ["ComparisonError: failed to calculate diff: .spec.x: field not declared"]),
        ),
        (
            {
                **SYNCED,
                "sync": {"status": "OutOfSync"},
                "operationState": {"phase": "Running", "retryCount": 2, "message": "Deployment is invalid\nmore"},
            },
            ("OutOfSync", "Healthy", ["sync failing, retried 2 times: Deployment is invalid"]),
        ),
        (
            {**SYNCED, "sync": {"status": "OutOfSync"}, "operationState": {"phase": "Failed", "message": ""}},
            ("OutOfSync", "Healthy", ["last sync Failed: (no message)"]),
        ),
        # The bad commit was reverted: git is back to what runs; the failed sync is history.
        ({**SYNCED, "operationState": {"phase": "Failed", "message": "invalid"}}, ("Synced", "Healthy", [])),
        ({**SYNCED, "operationState": {"phase": "Running", "message": "syncing"}}, ("Synced", "Healthy", [])),
    ],
)
def test_what_an_application_says_is_wrong(status: dict[str, Any] | None, expected: tuple[str, str, list[str]]) -> None:
    assert application_status(FakeKube(status), "x") == expected  # type: ignore[arg-type]
