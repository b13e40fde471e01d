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
    FAIL = "fail"


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
            "checks": [check.as_json() for check in self.checks],
        }


@dataclass(frozen=True)
class Report:
    """The six items. An item scores when none of its checks fails; warnings are reported, not deducted."""

    repository: str
    items: tuple[Item, ...]
    sources: Mapping[str, str]
    context_map: Mapping[str, object]

    @property
    def score(self) -> int:
        return sum(1 for item in self.items if item.status != Status.FAIL)

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
            "sources": dict(self.sources),
            "items": [item.as_json() for item in self.items],
            "context_map": dict(self.context_map),
        }
