"""Results and the report: one result per clause, printed as one line each or as JSON."""

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from groundwork.conform.contract import CLAUSES, CONTRACT_VERSION


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    NOT_APPLICABLE = "n/a"
    NOT_RUN = "not run"


@dataclass(frozen=True)
class Result:
    clause: str
    status: Status
    evidence: str

    def __post_init__(self) -> None:
        if self.clause not in CLAUSES:  # a typo in a check must not invent a clause
            raise ValueError(f"unknown clause id {self.clause!r}")


@dataclass
class Recorder:
    """Collects results; the first verdict on a clause is kept, a later failure overrides a pass."""

    results: dict[str, Result] = field(default_factory=dict)

    def record(self, clause: str, ok: bool | None, evidence: str) -> None:
        status = Status.NOT_APPLICABLE if ok is None else Status.PASS if ok else Status.FAIL
        current = self.results.get(clause)
        if current is None or (status is Status.FAIL and current.status is not Status.FAIL):
            self.results[clause] = Result(clause, status, evidence)

    def passed(self, clause: str, evidence: str) -> None:
        self.record(clause, True, evidence)

    def failed(self, clause: str, evidence: str) -> None:
        self.record(clause, False, evidence)

    def not_applicable(self, clause: str, evidence: str) -> None:
        self.record(clause, None, evidence)

    def check(self, clause: str, ok: bool, evidence: str) -> bool:
        self.record(clause, ok, evidence)
        return ok


@dataclass(frozen=True)
class Report:
    target: str
    results: tuple[Result, ...]

    @property
    def failed(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.status in (Status.FAIL, Status.NOT_RUN))

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        return {status.value: sum(r.status is status for r in self.results) for status in Status}

    def lines(self) -> list[str]:
        width = max(len(clause) for clause in CLAUSES)
        out = [f"{r.status.value:<7} {r.clause:<{width}}  {r.evidence}" for r in self.results]
        counts = ", ".join(f"{n} {s}" for s, n in self.counts().items() if n)
        out.append(f"platform contract {CONTRACT_VERSION}: {counts} ({self.target})")
        return out

    def to_json(self) -> str:
        return json.dumps(
            {
                "contract": CONTRACT_VERSION,
                "target": self.target,
                "ok": self.ok,
                "counts": self.counts(),
                "results": [asdict(r) | {"status": r.status.value} for r in self.results],
            },
            indent=2,
        )


def build_report(target: str, recorder: Recorder, selected: tuple[str, ...]) -> Report:
    """Every selected clause in the contract's order; one no check reached is 'not run' (a failure)."""
    results = []
    for clause in CLAUSES:
        if clause not in selected:
            continue
        results.append(recorder.results.get(clause) or Result(clause, Status.NOT_RUN, "no check reached it"))
    return Report(target, tuple(results))
