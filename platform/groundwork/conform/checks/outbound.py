"""outbound.* and metrics.downstream: timeout, retries for idempotent methods only, the circuit breaker and
the pool limit, judged at the test downstream (attempts it saw) and in the service's metrics."""

import threading
import time

from groundwork.conform import client as http
from groundwork.conform.checks.metrics import scrape
from groundwork.conform.contract import CHAIN_PATH
from groundwork.conform.downstream import Mode, TestDownstream
from groundwork.conform.session import (
    BREAKER_FAIL_MAX,
    BREAKER_RESET_SECONDS,
    HTTP_MAX_CONNECTIONS,
    HTTP_RETRIES,
    Session,
)

CLAUSES = (
    "outbound.timeout",
    "outbound.retry-idempotent",
    "outbound.no-retry-post",
    "outbound.pool-limit",
    "outbound.circuit-breaker",
    "metrics.downstream",
)
POOL_CALLERS = 2 * HTTP_MAX_CONNECTIONS
POOL_DELAY_SECONDS = 0.3


class _Ops:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.first: TestDownstream = session.downstreams[min(session.downstreams)]

    def mode(self, mode: Mode, delay: float = 0.0) -> None:
        for downstream in self.session.downstreams.values():
            downstream.set_mode(mode, delay)
            downstream.reset_counts()

    def call(self, method: str = "GET", timeout: float = 15.0) -> int | str:
        try:
            return http.request(method, f"{self.session.url}{CHAIN_PATH}", body=b"", timeout=timeout).status
        except http.TransportError as error:
            return str(error)

    def recover(self) -> bool:
        """Downstreams healthy, and a call through: the breaker's failure count starts again from zero."""
        self.mode(Mode.OK)
        deadline = time.monotonic() + BREAKER_RESET_SECONDS + 5
        while time.monotonic() < deadline:
            if self.call() == 200:
                return True
            time.sleep(0.2)
        return False


def check_outbound(session: Session) -> None:
    rec = session.recorder
    if not session.has_chain:
        for clause in CLAUSES:
            rec.not_applicable(clause, "no downstream, or no GET /v1/chain hook to call one")
        return
    ops = _Ops(session)
    _retries(ops)
    _timeout(ops)
    _pool(ops)
    _breaker(ops)
    ops.recover()


def _retries(ops: _Ops) -> None:
    rec = ops.session.recorder
    ops.mode(Mode.FAIL)
    status = ops.call("GET")
    attempts = ops.first.count("GET")
    expected = 1 + HTTP_RETRIES
    rec.check(
        "outbound.retry-idempotent",
        attempts == expected and status != 200,
        f"GET against a 503 downstream: {attempts} attempts (expected {expected}), answered {status}",
    )
    ops.recover()
    if not ops.session.has_post_chain:
        rec.not_applicable("outbound.no-retry-post", "no POST /v1/chain hook")
        return
    ops.mode(Mode.FAIL)
    status = ops.call("POST")
    attempts = ops.first.count("POST")
    rec.check(
        "outbound.no-retry-post",
        attempts == 1,
        f"POST against a 503 downstream: {attempts} attempts (expected 1), answered {status}",
    )
    ops.recover()


def _timeout(ops: _Ops) -> None:
    ops.mode(Mode.HOLD)
    status = ops.call("GET", timeout=30)
    completed, attempts = ops.first.completed, ops.first.count()
    for downstream in ops.session.downstreams.values():
        downstream.release()
    ok = status != 200 and completed == 0 and attempts >= 1
    evidence = f"downstream held every call: the service answered {status} after {attempts} attempts, "
    evidence += "before the downstream answered any" if completed == 0 else f"only after {completed} were answered"
    ops.session.recorder.check("outbound.timeout", ok, evidence)
    ops.recover()


def _pool(ops: _Ops) -> None:
    ops.mode(Mode.SLOW, POOL_DELAY_SECONDS)
    callers = [threading.Thread(target=ops.call) for _ in range(POOL_CALLERS)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=30)
    peak = ops.first.max_in_progress
    ops.session.recorder.check(
        "outbound.pool-limit",
        1 <= peak <= HTTP_MAX_CONNECTIONS,
        f"{POOL_CALLERS} concurrent calls: at most {peak} at the downstream at once "
        f"(APP_HTTP_MAX_CONNECTIONS={HTTP_MAX_CONNECTIONS})",
    )
    ops.recover()


def _breaker(ops: _Ops) -> None:
    rec = ops.session.recorder
    name = ops.first.name
    ops.mode(Mode.FAIL)
    rejected_call = None
    for number in range(1, BREAKER_FAIL_MAX + 3):
        before = ops.first.count()
        status = ops.call()
        if ops.first.count() == before:
            rejected_call = (number, status)
            break
    attempts = ops.first.count()
    open_metrics = scrape(ops.session.url)
    opened = rejected_call is not None and rejected_call[1] != 200 and attempts == BREAKER_FAIL_MAX
    closed = ops.recover()
    closed_metrics = scrape(ops.session.url)
    if rejected_call is None:
        evidence = f"never opened: {attempts} attempts reached the failing downstream"
    else:
        evidence = f"opened after {attempts} failed attempts (APP_BREAKER_FAIL_MAX={BREAKER_FAIL_MAX}); "
        evidence += f"call {rejected_call[0]} answered {rejected_call[1]} without a network attempt"
    evidence += f"; after {BREAKER_RESET_SECONDS:g} s a call went through" if closed else "; never closed again"
    rec.check("outbound.circuit-breaker", opened and closed, evidence)
    _downstream_metrics(ops, name, open_metrics, closed_metrics, opened)


def _downstream_metrics(ops: _Ops, name: str, during: object, after: object, opened: bool) -> None:
    from groundwork.conform.prom import Exposition

    rec = ops.session.recorder
    if not isinstance(during, Exposition) or not isinstance(after, Exposition):
        rec.failed("metrics.downstream", f"no metrics to read: {during if isinstance(during, str) else after}")
        return
    problems = []
    if during.type_of("downstream_requests_total") != "counter":
        problems.append("downstream_requests_total is not a counter")
    if during.type_of("downstream_circuit_open") != "gauge":
        problems.append("downstream_circuit_open is not a gauge")
    for sample in during.series("downstream_requests_total"):
        if set(sample.labels) != {"downstream", "outcome"}:
            problems.append(f"downstream_requests_total labels {sorted(sample.labels)}")
            break
    outcomes = sorted({s.labels.get("outcome", "") for s in during.series("downstream_requests_total")})
    if not {"ok", "error"} <= set(outcomes) or (opened and "rejected" not in outcomes):
        problems.append(f"outcomes {outcomes} (expected ok, error and rejected)")
    open_value = during.value("downstream_circuit_open", downstream=name)
    closed_value = after.value("downstream_circuit_open", downstream=name)
    if opened and (open_value != 1 or closed_value != 0):
        problems.append(f"downstream_circuit_open was {open_value:g} while open, {closed_value:g} after")
    evidence = "; ".join(problems) or f"outcomes {outcomes}; circuit_open 1 while open, 0 after"
    rec.check("metrics.downstream", not problems, evidence)
