"""Acceptance 5: alpha's circuit breaker towards beta opens after the configured failures, then fails fast
without touching the network, and closes again once beta is back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support.fleet import Fleet, ServiceProcess, free_port, metric_value

pytestmark = pytest.mark.slow

FAIL_MAX = 3
RESET_SECONDS = 5  # long enough that the fail-fast checks land while it is open, on a busy machine too


def outbound(alpha: ServiceProcess, outcome: str) -> float | None:
    return metric_value(alpha.get("/metrics").text, "downstream_requests_total", downstream="beta", outcome=outcome)


def test_breaker_opens_fails_fast_and_closes_after_recovery(fleet: Fleet, tmp_path: Path) -> None:
    beta_port = free_port()
    beta = ServiceProcess(fleet.beta, tmp_path, port=beta_port).start()
    env = {
        "APP_DOWNSTREAMS": json.dumps({"beta": beta.url}),
        "APP_HTTP_RETRIES": "0",
        "APP_BREAKER_FAIL_MAX": str(FAIL_MAX),
        "APP_BREAKER_RESET_SECONDS": str(RESET_SECONDS),
    }
    alpha = ServiceProcess(fleet.alpha, tmp_path, env=env).start()
    try:
        assert alpha.get("/v1/chain").status_code == 200
        beta.stop()

        for _ in range(FAIL_MAX):
            failed = alpha.get("/v1/chain")
            assert failed.status_code == 502
            assert failed.json()["failed"] == {"beta": "unreachable (ConnectError)"}
        assert outbound(alpha, "error") == FAIL_MAX
        assert metric_value(alpha.get("/metrics").text, "downstream_circuit_open", downstream="beta") == 1

        for _ in range(2):
            fast = alpha.get("/v1/chain")
            assert fast.status_code == 502
            assert fast.json()["failed"] == {"beta": "circuit open"}
        assert outbound(alpha, "error") == FAIL_MAX, "an open breaker makes no network attempt"
        assert outbound(alpha, "rejected") == 2

        beta = ServiceProcess(fleet.beta, tmp_path, port=beta_port).start()
        deadline = time.monotonic() + RESET_SECONDS + 15
        while (answer := alpha.get("/v1/chain")).status_code != 200:
            assert answer.json()["failed"] == {"beta": "circuit open"}
            assert time.monotonic() < deadline, "the breaker never closed"
            time.sleep(0.2)
        assert metric_value(alpha.get("/metrics").text, "downstream_circuit_open", downstream="beta") == 0
        changes = [
            (line["old_state"], line["new_state"])
            for line in alpha.log_lines()
            if line.get("event") == "circuit breaker state changed"
        ]
        assert changes == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]
    finally:
        alpha.stop()
        beta.stop()
