"""probes.*: /livez, /readyz, /startupz answers, and readiness that names a stopped dependency."""

import time

from groundwork.conform import client as http
from groundwork.conform.session import Session

CLAUSES = ("probes.livez", "probes.readyz", "probes.startupz")
DEPENDENCY_CLAUSES = ("probes.readyz-dependency",)


def _body(response: http.Response) -> str:
    return f"{response.status} {response.body[:200].decode(errors='replace')}"


def check_probes(session: Session) -> None:
    rec = session.recorder
    live = http.get(f"{session.url}/livez")
    rec.check("probes.livez", live.status == 200 and live.json_or_none() == {"status": "ok"}, _body(live))

    started = http.get(f"{session.url}/startupz")
    history = session.process.startup_statuses if session.process else []
    ok = started.status == 200 and started.json_or_none() == {"status": "started"}
    before = [status for status in history if status != 200]
    if ok and any(status != 503 for status in before):
        ok, evidence = False, f"answered {before} before 200 (the contract says 503 while starting)"
    else:
        evidence = _body(started) + (f" (after {before})" if before else "")
    rec.check("probes.startupz", ok, evidence)

    ready = http.get(f"{session.url}/readyz")
    body = ready.json_or_none()
    checks = body.get("checks") if isinstance(body, dict) else None
    expected = set(session.downstreams)
    ok = (
        ready.status == 200
        and isinstance(checks, dict)
        and body.get("status") == "ready"
        and expected <= set(checks)
        and all(value == "ok" for value in checks.values())
    )
    missing = expected - set(checks or {})
    rec.check("probes.readyz", ok, _body(ready) + (f"; missing checks {sorted(missing)}" if missing else ""))


def check_stopped_dependency(session: Session) -> None:
    rec = session.recorder
    if not session.downstreams:
        rec.not_applicable("probes.readyz-dependency", "the service declares no downstream")
        return
    for downstream in session.downstreams.values():
        downstream.stop()
    try:
        ready = http.get(f"{session.url}/readyz")
        live = http.get(f"{session.url}/livez")
    finally:
        for downstream in session.downstreams.values():
            downstream.start()  # same port
    body = ready.json_or_none()
    failed = body.get("failed") if isinstance(body, dict) else None
    names = sorted(session.downstreams)
    ok = (
        ready.status == 503
        and isinstance(body, dict)
        and body.get("status") == "not ready"
        and isinstance(failed, list)
        and set(names) <= set(failed)
        and live.status == 200
    )
    evidence = f"downstreams {', '.join(names)} stopped: /readyz {_body(ready)}; /livez {live.status}"
    rec.check("probes.readyz-dependency", ok, evidence)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and http.get(f"{session.url}/readyz").status != 200:
        time.sleep(0.1)
