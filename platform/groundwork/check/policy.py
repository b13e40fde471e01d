"""Policies over the rendered output: checkov once for the whole tree with the repository's policies/, and
groundwork's native cross-resource checks (`groundwork.policy`) per target.

Each target's documents go to one scratch file `<app>__<env>.yaml`; checkov runs once over the folder in its
own pinned, offline tool environment (`groundwork.tools`), and each failed check is mapped back through the
file and line range to the document, and so to its app, environment and source file.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from groundwork import tools
from groundwork.check.discover import kustomization_file
from groundwork.check.errors import ToolBroken, ToolMissing
from groundwork.check.model import Document, Finding, Stage
from groundwork.errors import GroundworkError
from groundwork.paths import find_template_root
from groundwork.policy.native import run_native_checks

POLICIES_CONFIG = Path("policies") / "checkov" / "config.yaml"
CHECKOV_TIMEOUT_SECONDS = 1800

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class NoPolicies(GroundworkError):
    """Neither the checked repository nor the groundwork checkout holds policies/checkov/config.yaml."""


@dataclass(frozen=True)
class Policies:
    """The checkov configuration and the folder its relative paths start from (checkov runs there)."""

    config: Path
    base: Path


def find_policies(root: Path) -> Policies:
    """The checked repository's policies, else those of the groundwork checkout this package runs from."""
    candidates = [root]
    with contextlib.suppress(GroundworkError):
        candidates.append(find_template_root())
    for base in candidates:
        if (base / POLICIES_CONFIG).is_file():
            return Policies(base / POLICIES_CONFIG, base)
    raise NoPolicies(
        f"no {POLICIES_CONFIG} under {root}", "run the gate on a groundwork repository (it ships policies/)"
    )


@dataclass
class _Placed:
    starts: list[int]
    documents: list[Document]

    def at(self, line: int) -> Document | None:
        index = bisect.bisect_right(self.starts, line) - 1
        return self.documents[index] if index >= 0 else None


def run_policies(documents: Sequence[Document], policies: Policies) -> list[Finding]:
    if not documents:
        return []
    uvx = shutil.which("uvx")
    if uvx is None:
        raise ToolMissing("uvx is not installed, so checkov cannot run", "install uv (https://docs.astral.sh/uv/)")
    with tempfile.TemporaryDirectory(prefix="groundwork-checkov-") as scratch:
        placed = _write(documents, Path(scratch))
        arguments = ["--config-file", str(policies.config), "--directory", scratch, "--output", "json"]
        try:
            done = subprocess.run(
                tools.checkov_command(arguments, uvx),
                cwd=policies.base,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, **tools.CHECKOV_OFFLINE_ENV},
                timeout=CHECKOV_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise ToolBroken(f"checkov did not finish in {CHECKOV_TIMEOUT_SECONDS} s") from None
    if done.returncode not in (0, 1):
        raise ToolBroken(f"checkov {tools.CHECKOV_VERSION} exited {done.returncode}: {_last_line(done.stderr)}")
    try:
        report = tools.parse_checkov_json(done.stdout)
    except tools.ToolFailed as error:
        raise ToolBroken(str(error)) from None
    findings: list[Finding] = []
    for check in report.failed:
        where = placed.get(Path(check.file).name)
        document = where.at(check.lines[0]) if where else None
        if document is None:  # cannot happen for files written above; say so rather than drop the failure
            raise ToolBroken(
                f"checkov reported {check.check_id} on {check.file}:{check.lines[0]}, which the gate did not write"
            )
        findings.append(Finding.about(document, Stage.POLICY, check.check_id, check.name))
    return findings


def _write(documents: Sequence[Document], folder: Path) -> dict[str, _Placed]:
    by_file: dict[str, _Placed] = {}
    texts: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    for document in documents:
        name = f"{document.target.slug}.yaml"
        placed = by_file.setdefault(name, _Placed([], []))
        chunks = texts.setdefault(name, [])
        text = yaml.dump(document.body, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
        if chunks:
            chunks.append("---\n")
            lines[name] += 1
        placed.starts.append(lines.get(name, 0) + 1)
        placed.documents.append(document)
        chunks.append(text)
        lines[name] = lines.get(name, 0) + text.count("\n")
    for name, chunks in texts.items():
        (folder / name).write_text("".join(chunks), encoding="utf-8")
    return by_file


def _last_line(text: str) -> str:
    found = [line for line in text.strip().splitlines() if line.strip()]
    return found[-1] if found else "no output"


def run_native(documents: Sequence[Document]) -> list[Finding]:
    """groundwork's own cross-resource checks (`groundwork.policy`), one rendered target at a time."""
    groups: dict[str, list[Document]] = {}
    for each in documents:
        groups.setdefault(each.target.slug, []).append(each)
    violations = run_native_checks({slug: [d.body for d in docs] for slug, docs in groups.items()})
    findings: list[Finding] = []
    for violation in violations:
        members = groups[violation.group]
        document = next((d for d in members if d.ref == violation.resource), None)
        if document is None:  # a rule about something missing names no rendered document: blame the target
            target = members[0].target
            file = kustomization_file(target.path) or target.path
            findings.append(
                Finding(
                    target.app,
                    target.env,
                    file,
                    Stage.POLICY,
                    violation.check_id,
                    violation.message,
                    violation.resource,
                    target.path,
                )
            )
        else:
            findings.append(Finding.about(document, Stage.POLICY, violation.check_id, violation.message))
    return findings
