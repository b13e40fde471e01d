"""The other side of every edge a new service declares.

`--calls inventory` is an edge new -> inventory: inventory's AuthorizationPolicy must admit the new service, so
inventory's GitOps entry gets the new name in its `consumers` answer. `--consumers gateway` is an edge
gateway -> new: gateway's entry gets it in `downstreams` (its catalog descriptor's consumesApis and dependsOn).
Each changed entry is rendered through the deploy template twice into scratch, with its answers as they are and
with the new name added; the difference between the two is merged into a copy of the entry as it is (its team's
and CI's edits stay: a dev image CI moved, a promoted digest), so the whole change is judged before anything is
written and then swapped in all or nothing.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groundwork.paths import ANSWERS_FILE
from groundwork.scaffold import RenderJob, staged
from groundwork.threeway import merge_into

DEPLOY_TEMPLATE = "deploy"


@dataclass(frozen=True)
class EdgeChange:
    """One other service's GitOps entry that must change: `question` gains `added`."""

    service: str
    team: str
    question: str  # consumers (it is called) or downstreams (it calls)
    added: str
    entry: Path
    answers: Mapping[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        data = {key: value for key, value in self.answers.items() if not str(key).startswith("_")}
        data[self.question] = [*list(self.answers.get(self.question) or []), self.added]
        return data

    def answers_text(self, current: str) -> str:
        """The answers file `current` with this change's answer alone changed (its header comment kept)."""
        header = "".join(line for line in current.splitlines(keepends=True) if line.startswith("#"))
        answers = {**self.answers, self.question: self.data[self.question]}
        return header + yaml.safe_dump(answers, sort_keys=True, allow_unicode=True, default_flow_style=False)

    @property
    def renders(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The answers as they are, and with the new name: the two renders whose difference is the change."""
        return {key: value for key, value in self.answers.items() if not str(key).startswith("_")}, self.data


@dataclass
class EdgePlan:
    changes: list[EdgeChange]
    rendered: dict[str, Path] = field(default_factory=dict)  # service -> re-rendered entry (scratch)

    def changed_files(self, change: EdgeChange) -> list[str]:
        """The entry's files that the re-render changes, added or removes (relative to the entry)."""
        new = self.rendered[change.service]
        return sorted(_differences(change.entry, new))


def read_answers(entry: Path) -> Mapping[str, Any]:
    loaded = yaml.safe_load((entry / ANSWERS_FILE).read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, Mapping) else {}


def plan_edges(apps: Path, name: str, calls: Sequence[str], consumers: Sequence[str]) -> EdgePlan:
    """Which entries under `apps` must learn about `name`; entries that already list it are left alone."""
    changes: list[EdgeChange] = []
    for question, services in (("consumers", calls), ("downstreams", consumers)):
        for service in services:
            entry = apps / service
            answers = read_answers(entry)
            if name in (answers.get(question) or []):
                continue
            changes.append(EdgeChange(service, str(answers.get("owner_team") or "?"), question, name, entry, answers))
    return EdgePlan(changes)


@contextmanager
def render_edges(template: str, plan: EdgePlan) -> Iterator[EdgePlan]:
    """Each changed entry as it will be, in scratch (kept while the block runs): the entry as it is, with the
    difference its answers' change makes to the rendered template merged in."""
    jobs = [RenderJob(DEPLOY_TEMPLATE, data, change.entry) for change in plan.changes for data in change.renders]
    with staged(template, jobs) as projects, tempfile.TemporaryDirectory(prefix="groundwork-edges-") as merged:
        for index, change in enumerate(plan.changes):
            base, new = projects.scratch[2 * index], projects.scratch[2 * index + 1]
            # The answers file changes by the one answer alone: its template version and source stay.
            current = (change.entry / ANSWERS_FILE).read_text(encoding="utf-8")
            (base / ANSWERS_FILE).write_text(current, encoding="utf-8")
            (new / ANSWERS_FILE).write_text(change.answers_text(current), encoding="utf-8")
            out = Path(merged) / change.service
            merge_into(change.entry, base, new, out, f"adding '{change.added}' to its {change.question}")
            plan.rendered[change.service] = out
        yield plan


def swap_in(plan: EdgePlan) -> None:
    """Replace each entry by its re-render; on any failure every entry already swapped is put back."""
    with tempfile.TemporaryDirectory(prefix="groundwork-edges-") as backup_dir:
        done: list[tuple[Path, Path]] = []
        try:
            for change in plan.changes:
                backup = Path(backup_dir) / change.service
                shutil.move(change.entry, backup)
                done.append((change.entry, backup))
                shutil.move(plan.rendered[change.service], change.entry)
        except OSError:
            for entry, backup in reversed(done):
                if entry.exists():
                    shutil.rmtree(entry)
                shutil.move(backup, entry)
            raise


def stamp_source(answers_file: Path, source: str) -> None:
    """Write `source` as the answers' `_src_path` (Copier writes the path it rendered from, maybe a local one)."""
    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    stamped = [f"_src_path: {source}\n" if line.startswith("_src_path:") else line for line in lines]
    answers_file.write_text("".join(stamped), encoding="utf-8")


def _differences(old: Path, new: Path, prefix: str = "") -> Iterator[str]:
    comparison = filecmp.dircmp(old, new)
    for name in comparison.left_only + comparison.right_only + comparison.diff_files + comparison.funny_files:
        yield f"{prefix}{name}"
    for name, sub in comparison.subdirs.items():
        yield from _differences(Path(sub.left), Path(sub.right), f"{prefix}{name}/")
