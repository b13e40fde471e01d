"""Render the targets of one exported gitops/ tree that a scope covers: `kubectl kustomize` for kustomizations,
the YAML as written for folders of plain files (Helm values, loose manifests). Targets are the gate's
(`groundwork.check.discover`), so the comment and `groundwork check` speak of the same app/env units."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from groundwork.check.discover import discover
from groundwork.check.model import Target
from groundwork.prdiff.scope import Scope

RENDER_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Rendered:
    """One target at one commit: its objects keyed by identity, or the reason it did not render."""

    objects: dict[str, dict[str, Any]]
    error: str | None = None


def unit_key(target: Target, gitops: Path) -> str:
    """`app/env` for a service overlay, else the folder under gitops/ (`bootstrap/projects/dev`)."""
    if target.service:
        return f"{target.app}/{target.env}"
    relative = target.path.relative_to(gitops).as_posix()
    return relative if target.mode == "kustomize" else f"{relative} (files)"


def select(gitops: Path | None, scope: Scope) -> dict[str, Target]:
    if gitops is None or not gitops.is_dir():
        return {}
    return {unit_key(t, gitops): t for t in discover(gitops) if scope.covers(t.app, t.service)}


def object_key(document: dict[str, Any]) -> str:
    """`Kind namespace/name` (group-qualified when the kind has a group), which stays the same across versions."""
    api_version = str(document.get("apiVersion") or "")
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    kind = str(document.get("kind") or "?")
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    name = str(metadata.get("name") or "?")
    namespace = metadata.get("namespace")
    qualified = f"{kind}.{group}" if group else kind
    return f"{qualified} {namespace}/{name}" if namespace else f"{qualified} {name}"


def _kustomize(kubectl: Path, folder: Path, gitops: Path) -> Rendered:
    done = subprocess.run(
        [str(kubectl), "kustomize", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=RENDER_TIMEOUT_SECONDS,
    )
    if done.returncode != 0:
        message = " ".join(done.stderr.replace(f"{gitops.parent}/", "").split()) or f"exit {done.returncode}"
        return Rendered({}, message)
    objects: dict[str, dict[str, Any]] = {}
    for document in yaml.safe_load_all(done.stdout):
        if isinstance(document, dict):
            objects[object_key(document)] = document
    return Rendered(objects)


def _files(target: Target, gitops: Path) -> Rendered:
    objects: dict[str, dict[str, Any]] = {}
    for path in target.files:
        relative = path.relative_to(gitops.parent).as_posix()
        try:
            documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        except yaml.YAMLError:
            return Rendered({}, f"{relative} is not valid YAML")
        for index, document in enumerate(documents):
            if isinstance(document, dict) and document.get("kind"):
                objects[object_key(document)] = document
            else:
                objects[relative if len(documents) == 1 else f"{relative} #{index + 1}"] = {"content": document}
    return Rendered(objects)


def render_targets(targets: dict[str, Target], gitops: Path, kubectl: Path, workers: int = 2) -> dict[str, Rendered]:
    def one(target: Target) -> Rendered:
        return _kustomize(kubectl, target.path, gitops) if target.mode == "kustomize" else _files(target, gitops)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        return dict(zip(targets, pool.map(one, targets.values()), strict=True))
