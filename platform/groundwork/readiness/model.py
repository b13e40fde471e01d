"""The nouns of the readiness report: a Check (pass, warn or fail, with evidence), an Item (a set of checks),
the Report (six items and a score)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

SCHEMA_VERSION = 1


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    WARN = "warn"
    UNPROVEN = "unproven"  # nothing yet shows it either way (e.g. `groundwork up` never ran): not a pass
    FAIL = "fail"

    @property
    def label(self) -> str:
        """How people read it: "not yet proven" rather than the JSON word."""
        return "not yet proven" if self is Status.UNPROVEN else self.value


@dataclass(frozen=True)
class Evidence:
    """What a check looked at: files (repository-relative, `file:line` where it matters), counts, notes."""

    files: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"files": list(self.files), "counts": dict(self.counts), "notes": list(self.notes)}


@dataclass(frozen=True)
class Check:
    """One named check about the fleet, a service or a team. `message` says what passed or what is wrong."""

    name: str
    status: Status
    message: str
    evidence: Evidence = field(default_factory=Evidence)
    service: str | None = None
    team: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "service": self.service,
            "team": self.team,
            "status": str(self.status),
            "message": self.message,
            "evidence": self.evidence.as_json(),
        }


def passed(name: str, message: str, evidence: Evidence | None = None, **subject: str | None) -> Check:
    return Check(name, Status.PASS, message, evidence or Evidence(), **subject)


def failed(name: str, problems: list[str], evidence: Evidence | None = None, **subject: str | None) -> Check:
    return Check(name, Status.FAIL, "; ".join(problems), evidence or Evidence(), **subject)


def unproven(name: str, message: str, evidence: Evidence | None = None, **subject: str | None) -> Check:
    """Nothing yet proves the check either way: shown as "not yet proven", never counted as a pass."""
    return Check(name, Status.UNPROVEN, message, evidence or Evidence(), **subject)


def judged(name: str, problems: list[str], ok: str, evidence: Evidence | None = None, **subject: str | None) -> Check:
    """A check that fails with `problems` (joined), or passes with `ok`."""
    if problems:
        return failed(name, problems, evidence, **subject)
    return passed(name, ok, evidence, **subject)


@dataclass(frozen=True)
class ItemSpec:
    number: int
    key: str
    title: str
    question: str


@dataclass(frozen=True)
class Item:
    spec: ItemSpec
    checks: tuple[Check, ...]

    @property
    def status(self) -> Status:
        statuses = {check.status for check in self.checks}
        if Status.FAIL in statuses or not self.checks:
            return Status.FAIL
        if Status.UNPROVEN in statuses:
            return Status.UNPROVEN
        return Status.WARN if Status.WARN in statuses else Status.PASS

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status == status)

    def as_json(self) -> dict[str, object]:
        return {
            "number": self.spec.number,
            "key": self.spec.key,
            "title": self.spec.title,
            "question": self.spec.question,
            "status": str(self.status),
            "passed": self.count(Status.PASS),
            "warnings": self.count(Status.WARN),
            "failed": self.count(Status.FAIL),
            "unproven": self.count(Status.UNPROVEN),
            "checks": [check.as_json() for check in self.checks],
        }


@dataclass(frozen=True)
class Report:
    """The six items. An item scores when it passes: none of its checks fails and none is still unproven;
    warnings are reported, not deducted. An unproven item is neither a pass nor a failure."""

    repository: str
    items: tuple[Item, ...]
    sources: Mapping[str, str]
    context_map: Mapping[str, object]

    @property
    def score(self) -> int:
        return sum(1 for item in self.items if item.status in (Status.PASS, Status.WARN))

    @property
    def failed(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.status is Status.FAIL)

    @property
    def unproven(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.status is Status.UNPROVEN)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def warnings(self) -> int:
        return sum(item.count(Status.WARN) for item in self.items)

    def as_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA_VERSION,
            "repository": self.repository,
            "score": self.score,
            "total": self.total,
            "warnings": self.warnings,
            "unproven": len(self.unproven),
            "sources": dict(self.sources),
            "items": [item.as_json() for item in self.items],
            "context_map": dict(self.context_map),
        }
