"""Acceptance 4: SIGTERM while requests are in flight. None of them fails, and the process exits within
its grace period."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from support.fleet import Fleet, ServiceProcess
from support.slow import SlowDownstream

pytestmark = pytest.mark.slow

IN_FLIGHT = 16
DOWNSTREAM_DELAY_SECONDS = 1.5
GRACE_SECONDS = 6


def test_sigterm_drains_in_flight_requests_and_exits_within_the_grace_period(fleet: Fleet, tmp_path: Path) -> None:
    with SlowDownstream(delay=DOWNSTREAM_DELAY_SECONDS) as slow:
        env = {
            "APP_DOWNSTREAMS": json.dumps({"beta": slow.url}),
            "APP_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
            "APP_HTTP_TIMEOUT_SECONDS": "5",
        }
        alpha = ServiceProcess(fleet.alpha, tmp_path, env=env).start()
        try:
            results: list[int | str] = []
            lock = threading.Lock()

            def call() -> None:
                try:
                    outcome: int | str = httpx.get(f"{alpha.url}/v1/chain", timeout=30).status_code
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                with lock:
                    results.append(outcome)

            callers = [threading.Thread(target=call) for _ in range(IN_FLIGHT)]
            for caller in callers:
                caller.start()
            assert slow.wait_until_waiting(IN_FLIGHT, timeout=20), "every request reached the downstream"

            signalled = time.monotonic()
            alpha.terminate()
            code = alpha.wait(timeout=GRACE_SECONDS + 10)
            exited_after = time.monotonic() - signalled
            for caller in callers:
                caller.join(timeout=30)
        finally:
            alpha.stop()

    assert code in (0, -signal.SIGTERM)
    assert exited_after <= GRACE_SECONDS, f"exited {exited_after:.1f} s after SIGTERM"
    assert results == [200] * IN_FLIGHT, "no request in flight failed"
    events = [line for line in alpha.log_lines() if line.get("event") == "shutting down"]
    assert len(events) == 1
    assert events[0]["in_flight"] == IN_FLIGHT
