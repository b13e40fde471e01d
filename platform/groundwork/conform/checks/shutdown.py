"""shutdown.*: SIGTERM with requests in flight: readiness fails at once, every in-flight request finishes,
and the process exits within APP_SHUTDOWN_GRACE_SECONDS."""

import threading
import time

from groundwork.conform import client as http
from groundwork.conform.contract import CHAIN_PATH
from groundwork.conform.downstream import Mode
from groundwork.conform.session import HTTP_MAX_CONNECTIONS, SHUTDOWN_GRACE_SECONDS, Session

CLAUSES = ("shutdown.readiness", "shutdown.drain")
IN_FLIGHT = HTTP_MAX_CONNECTIONS
# The downstream holds the in-flight calls until this long after SIGTERM, so they are surely in flight then.
RELEASE_AFTER_SECONDS = 0.3
EXIT_CODES = (0, -15, 143)
READINESS_WAIT_SECONDS = 1.0


def check_shutdown(session: Session) -> None:
    assert session.process is not None
    rec = session.recorder
    process = session.process
    results: list[int | str] = []
    callers: list[threading.Thread] = []
    if session.has_chain:
        for downstream in session.downstreams.values():
            downstream.set_mode(Mode.HOLD)
            downstream.reset_counts()
        lock = threading.Lock()

        def call() -> None:
            try:
                outcome: int | str = http.get(f"{session.url}{CHAIN_PATH}", timeout=30).status
            except http.TransportError as error:
                outcome = str(error)
            with lock:
                results.append(outcome)

        callers = [threading.Thread(target=call) for _ in range(IN_FLIGHT)]
        for caller in callers:
            caller.start()
        first = session.downstreams[min(session.downstreams)]
        first.wait_for_in_progress(IN_FLIGHT, timeout=10)

    signalled = time.monotonic()
    process.terminate()
    rec.check("shutdown.readiness", *_readiness_after_sigterm(session.url, signalled))
    time.sleep(max(0.0, RELEASE_AFTER_SECONDS - (time.monotonic() - signalled)))
    for downstream in session.downstreams.values():
        downstream.release()

    code = process.wait(SHUTDOWN_GRACE_SECONDS + 3)
    took = time.monotonic() - signalled
    for caller in callers:
        caller.join(timeout=30)
    if code is None:
        process.kill()
        rec.failed("shutdown.drain", f"still running {took:.1f} s after SIGTERM (grace {SHUTDOWN_GRACE_SECONDS:g} s)")
        return
    failed_calls = [r for r in results if r != 200]
    ok = took <= SHUTDOWN_GRACE_SECONDS and code in EXIT_CODES and not failed_calls
    evidence = f"exit {code} {took:.1f} s after SIGTERM (grace {SHUTDOWN_GRACE_SECONDS:g} s); "
    if callers:
        evidence += f"{len(results) - len(failed_calls)}/{len(callers)} in-flight requests answered 200"
        if failed_calls:
            evidence += f" (others: {failed_calls[:2]})"
    else:
        evidence += "no in-flight request to drain (no /v1/chain hook)"
    if code not in EXIT_CODES:
        evidence += f"; last output: {process.tail(3)}"
    rec.check("shutdown.drain", ok, evidence)


def _readiness_after_sigterm(url: str, signalled: float) -> tuple[bool, str]:
    """/readyz within READINESS_WAIT_SECONDS of SIGTERM (the signal is handled asynchronously): 503 naming
    shutdown, or the listener closed."""
    last = ""
    while True:
        try:
            ready = http.get(f"{url}/readyz", timeout=2)
        except http.TransportError:
            return True, f"{time.monotonic() - signalled:.2f} s after SIGTERM: connection refused (listener closed)"
        body = ready.json_or_none()
        failed = body.get("failed") if isinstance(body, dict) else None
        last = f"{ready.status} {ready.body[:120].decode(errors='replace')}"
        if ready.status == 503 and isinstance(failed, list) and "shutdown" in failed:
            return True, f"{time.monotonic() - signalled:.2f} s after SIGTERM: /readyz {last}"
        if time.monotonic() - signalled > READINESS_WAIT_SECONDS:
            return False, f"/readyz still {last} {READINESS_WAIT_SECONDS:g} s after SIGTERM"
        time.sleep(0.02)
