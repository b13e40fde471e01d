"""The provisioning record: how long `groundwork up --env <env>` took, step by step, and how it ended.

Written to `.groundwork/provision-<env>.json` (gitignored) whenever `groundwork up` ends, also after a
failure, and read back by the readiness report. The format is versioned (`schema`); infra/README.md
documents every field.
"""

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from groundwork.errors import GroundworkError
from groundwork.provision.argocd_wait import AppState

SCHEMA = 1


def record_path(state_dir: Path, env: str) -> Path:
    return state_dir / f"provision-{env}.json"


@dataclass
class ProvisionRecord:
    """One run of `groundwork up`. `seconds` maps each step that ran to its duration, in run order."""

    env: str
    cluster_name: str
    environment: str
    started_at: datetime
    timeout_seconds: float
    finished_at: datetime | None = None
    ready: bool = False
    failed_step: str | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    applications: list[AppState] = field(default_factory=list)
    # Add-ons this run did not install, each with the reason (the sandbox cannot fetch Helm charts).
    skipped_addons: dict[str, str] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return round(sum(self.seconds.values()), 3)

    def to_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "env": self.env,
            "cluster_name": self.cluster_name,
            "environment": self.environment,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "ready": self.ready,
            "failed_step": self.failed_step,
            "error": self.error,
            "timeout_seconds": self.timeout_seconds,
            "total_seconds": self.total_seconds,
            "seconds": {step: round(value, 3) for step, value in self.seconds.items()},
            "applications": [{"name": app.name, "sync": app.sync, "health": app.health} for app in self.applications],
            "skipped_addons": dict(self.skipped_addons),
        }


def write_record(record: ProvisionRecord, path: Path) -> None:
    """Write `record` as JSON, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record.to_json(), indent=2) + "\n"
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(scratch, path)


def read_record(path: Path) -> dict[str, object]:
    """The record at `path` as written by `write_record`; one-line errors if it is missing or foreign."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GroundworkError(f"no provisioning record at {path}", "run 'groundwork up --env <env>' first") from None
    except ValueError:
        raise GroundworkError(f"{path} is not JSON", "run 'groundwork up' again to rewrite it") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise GroundworkError(f"{path} is not a schema {SCHEMA} provisioning record", "run 'groundwork up' again")
    return document
