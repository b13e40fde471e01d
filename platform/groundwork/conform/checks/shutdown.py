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
    try:
        ready = http.get(f"{session.url}/readyz", timeout=2)
        body = ready.json_or_none()
        failed = body.get("failed") if isinstance(body, dict) else None
        ok = ready.status == 503 and isinstance(failed, list) and "shutdown" in failed
        evidence = f"/readyz right after SIGTERM: {ready.status} {ready.body[:120].decode(errors='replace')}"
    except http.TransportError:
        ok, evidence = True, "/readyz right after SIGTERM: connection refused (listener closed)"
    rec.check("shutdown.readiness", ok, evidence)
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
    rec.check("shutdown.drain", ok, evidence)
