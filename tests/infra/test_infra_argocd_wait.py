"""The bounded wait for Argo CD and the parsing of what kubectl prints, with fake readers and clocks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from groundwork.errors import GroundworkError
from groundwork.provision.argocd_wait import AppState, ReaderUnavailable, WaitResult, wait_for_applications
from groundwork.provision.kube import KubectlApplicationReader, load_balancer_services, parse_applications
from groundwork.provision.record import ProvisionRecord, read_record, write_record


class Script:
    """A reader answering from a list, and a clock that moves only when slept."""

    def __init__(self, answers: Sequence[Sequence[AppState] | Exception]) -> None:
        self.answers = list(answers)
        self.reads = 0
        self.now = 0.0

    def applications(self) -> Sequence[AppState]:
        answer = self.answers[min(self.reads, len(self.answers) - 1)]
        self.reads += 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def wait(script: Script, timeout: float = 100, expected: Sequence[str] = ()) -> WaitResult:
    return wait_for_applications(
        script, timeout, poll_seconds=10, expected=expected, clock=lambda: script.now, sleep=script.sleep
    )


def ok(*names: str) -> list[AppState]:
    return [AppState(name, "Synced", "Healthy") for name in names]


def test_ready_needs_two_identical_healthy_polls() -> None:
    script = Script([ok("root"), ok("root", "addon"), ok("root", "addon")])
    result = wait(script)
    assert result.ready
    assert script.reads == 3  # a new Application appeared on the second poll: the count starts again


def test_expected_applications_must_exist() -> None:
    script = Script([ok("root")])
    result = wait(script, timeout=50, expected=["root", "orders-dev"])
    assert not result.ready
    assert result.reason == "not generated yet: orders-dev"
    assert script.now <= 50


def test_unreadable_applications_are_waited_for_not_fatal() -> None:
    script = Script([ReaderUnavailable("connection refused"), ok("root")])
    assert wait(script).ready


def test_degraded_application_times_out_with_its_message() -> None:
    script = Script([[AppState("tempo", "Synced", "Degraded", "CrashLoopBackOff")]])
    result = wait(script, timeout=30)
    assert not result.ready
    assert result.reason == "waiting for tempo (Synced/Degraded: CrashLoopBackOff)"
    assert result.waited_seconds == 30


def test_parse_applications_reads_sync_health_and_the_telling_message() -> None:
    text = json.dumps(
        {
            "items": [
                {
                    "metadata": {"name": "root"},
                    "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}},
                },
                {
                    "metadata": {"name": "orders-dev"},
                    "status": {
                        "sync": {"status": "Unknown"},
                        "health": {"status": "Missing"},
                        "conditions": [{"type": "ComparisonError", "message": "repo not found\nmore"}],
                    },
                },
                {"metadata": {"name": "fresh"}},
            ]
        }
    )
    assert parse_applications(text) == [
        AppState("root", "Synced", "Healthy"),
        AppState("orders-dev", "Unknown", "Missing", "repo not found"),
        AppState("fresh", "Unknown", "Unknown"),
    ]


def test_reader_turns_a_kubectl_failure_into_unavailable() -> None:
    reader = KubectlApplicationReader(lambda args: (1, "", 'error: the server doesn\'t have a resource type "x"\n'))
    with pytest.raises(ReaderUnavailable, match="doesn't have a resource type"):
        reader.applications()
    seen: list[list[str]] = []
    reader = KubectlApplicationReader(lambda args: (seen.append(list(args)), (0, '{"items": []}', ""))[1])
    assert reader.applications() == []
    assert seen == [["get", "applications.argoproj.io", "-n", "argocd", "-o", "json"]]


def test_load_balancer_services() -> None:
    text = json.dumps(
        {
            "items": [
                {"metadata": {"namespace": "istio-ingress", "name": "gw"}, "spec": {"type": "LoadBalancer"}},
                {"metadata": {"namespace": "a", "name": "b"}, "spec": {"type": "NodePort"}},
            ]
        }
    )
    assert load_balancer_services(text) == [("istio-ingress", "gw")]


def test_record_round_trip_and_one_line_errors(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    record = ProvisionRecord("kind", "groundwork", "dev", datetime(2026, 1, 1, tzinfo=UTC), 600.0)
    record.seconds = {"pulumi_up": 100.0, "argocd_wait": 50.5}
    record.ready = True
    path = tmp_path / "provision-kind.json"
    write_record(record, path)
    document = read_record(path)
    assert document["total_seconds"] == 150.5
    assert document["schema"] == 1
    assert list(tmp_path.iterdir()) == [path]  # no scratch file left behind
    with pytest.raises(GroundworkError, match=r"^no provisioning record at .*: run 'groundwork up --env <env>' first$"):
        read_record(tmp_path / "provision-eks.json")
    path.write_text("{}")
    with pytest.raises(GroundworkError, match="is not a schema 1 provisioning record"):
        read_record(path)
