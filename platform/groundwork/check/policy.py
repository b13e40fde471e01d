"""Policies over the rendered output: checkov once for the whole tree with the repository's policies/, and
groundwork's native cross-resource checks (`groundwork.policy`) per target.

Each target's documents go to one scratch file `<app>__<env>.json`; checkov runs once over the folder in its
own pinned, offline tool environment (`groundwork.tools`), through `checkov_run.py` (checkov's command line
with a faster parser, same verdicts), and each failed check is mapped back through the file and line range to
the document, and so to its app, environment and source file.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from groundwork import tools
from groundwork.check.cache import cache_root
from groundwork.check.checkov_fields import field_for
from groundwork.check.discover import kustomization_file
from groundwork.check.model import Document, Finding, Stage
from groundwork.errors import GroundworkError, ToolBroken
from groundwork.paths import POLICIES_DIR, find_template_root
from groundwork.policy.native import run_native_checks

POLICIES_CONFIG = Path(POLICIES_DIR) / "checkov" / "config.yaml"
CHECKOV_TIMEOUT_SECONDS = 1800

_LIST_OPEN = '{"apiVersion": "v1", "kind": "List", "items": [\n'


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


PROBE = Path(__file__).with_name("checkov_probe.py")
RUNNER = Path(__file__).with_name("checkov_run.py")
RUNNER_STDIN_FLAG = "--arguments-on-stdin"  # checkov_run.STDIN_FLAG: import checkov, then read the arguments
PROBE_TIMEOUT_SECONDS = 300


def checkov_kinds(policies: Policies) -> frozenset[str] | None:
    """The kinds the allowlisted checkov checks can look at, or None for "any kind may matter".

    Documents of other kinds cannot change checkov's verdict, yet parsing them and linking them into its graph
    is most of its time. The answer comes from checkov itself (`checkov_probe.py` in its tool environment) and
    is cached per checkov version, probe, configuration and custom checks.
    """
    digest = hashlib.sha256(tools.CHECKOV_VERSION.encode())
    for path in (PROBE, policies.config, *_custom_check_files(policies)):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    cached = cache_root() / f"checkov-kinds-{digest.hexdigest()[:16]}.json"
    try:
        answer = json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        answer = _probe(policies)
        if answer is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            scratch = cached.with_suffix(f".{os.getpid()}.tmp")
            scratch.write_text(json.dumps(answer), encoding="utf-8")
            scratch.replace(cached)
    if not isinstance(answer, dict) or answer.get("all") is not False:
        return None
    return frozenset(str(kind) for kind in answer.get("kinds", []))


def _custom_check_files(policies: Policies) -> list[Path]:
    try:
        config = yaml.safe_load(policies.config.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    folders = (
        [policies.base / str(d) for d in (config.get("external-checks-dir") or [])] if isinstance(config, dict) else []
    )
    return sorted(
        p for d in folders if d.is_dir() for p in d.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def _probe(policies: Policies) -> dict[str, object] | None:
    uvx = shutil.which("uvx")
    if uvx is None:
        return None
    command = [
        uvx,
        "--quiet",
        "--from",
        f"checkov=={tools.CHECKOV_VERSION}",
        "python",
        str(PROBE),
        str(policies.config),
    ]
    try:
        done = subprocess.run(
            command,
            cwd=policies.base,
            capture_output=True,
            text=True,
            check=False,
            env=tools.checkov_environment(),
            timeout=PROBE_TIMEOUT_SECONDS,
        )
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


@dataclass
class _Placed:
    starts: list[int]
    documents: list[Document]

    def at(self, line: int) -> Document | None:
        index = bisect.bisect_right(self.starts, line) - 1
        return self.documents[index] if index >= 0 else None


def start_checkov(policies: Policies) -> tools.StartedCheckov:
    """checkov (through checkov_run.py) started ahead, importing itself while the gate renders; `run_policies`
    then hands it the files."""
    return tools.StartedCheckov(("python", str(RUNNER), RUNNER_STDIN_FLAG), cwd=policies.base)


def run_policies(
    documents: Sequence[Document],
    policies: Policies,
    kinds: frozenset[str] | None = None,
    started: tools.StartedCheckov | None = None,
) -> list[Finding]:
    """checkov over `documents` (only those of `kinds`, when given) in one run; its failures as findings. With
    `started` (`start_checkov`), that checkov judges them (and is let go when there is nothing to judge)."""
    if kinds is not None:
        documents = [d for d in documents if d.kind in kinds]
    if not documents:
        if started is not None:
            started.cancel()
        return []
    with tempfile.TemporaryDirectory(prefix="groundwork-checkov-") as scratch:
        placed = _write(documents, Path(scratch))
        # --quiet: the JSON report lists failed checks only (the passed ones are tens of MB on a large tree).
        arguments = ["--config-file", str(policies.config), "--directory", scratch, "--output", "json", "--quiet"]
        if started is not None:
            report = started.run(arguments, timeout_seconds=CHECKOV_TIMEOUT_SECONDS)
        else:
            report = tools.run_checkov(
                arguments, cwd=policies.base, entry=("python", str(RUNNER)), timeout_seconds=CHECKOV_TIMEOUT_SECONDS
            )
    if report.parsing_errors:  # a file checkov could not read is a file it did not judge
        raise ToolBroken(
            f"checkov {tools.CHECKOV_VERSION} could not parse {report.parsing_errors} of the files the gate wrote"
        )
    findings: list[Finding] = []
    for check in report.failed:
        where = placed.get(Path(check.file).name)
        document = where.at(check.lines[0]) if where else None
        if document is None:  # cannot happen for files written above; say so rather than drop the failure
            raise ToolBroken(
                f"checkov reported {check.check_id} on {check.file}:{check.lines[0]}, which the gate did not write"
            )
        field = field_for(check.check_id, document.body)
        findings.append(Finding.about(document, Stage.POLICY, check.check_id, check.name, field))
    return findings


def _write(documents: Sequence[Document], folder: Path) -> dict[str, _Placed]:
    """One JSON file per target (`<slug>.json`, a v1 List), each document on one line followed by an empty one:
    checkov reports where each item it judged starts (in a JSON file, one line after its first), and document n
    (from 0) of a file is on line 2n + 2, so a result maps back to it either way. (Compact JSON is written by
    the json module's C encoder, and is less for checkov to read.)"""
    by_file: dict[str, _Placed] = {}
    chunks: dict[str, list[str]] = {}
    for document in documents:
        name = f"{document.target.slug}.json"
        if name not in by_file:
            by_file[name], chunks[name] = _Placed([], []), []
        placed = by_file[name]
        placed.starts.append(2 * len(placed.documents) + 2)
        placed.documents.append(document)
        chunks[name].append(json.dumps(document.body, default=str))
    for name, lines in chunks.items():
        (folder / name).write_text(_LIST_OPEN + ",\n\n".join(lines) + "\n\n]}\n", encoding="utf-8")
    return by_file


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
            findings.append(
                Finding.about(document, Stage.POLICY, violation.check_id, violation.message, violation.path)
            )
    return findings
