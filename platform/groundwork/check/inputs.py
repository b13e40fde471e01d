"""What a target's verdict depends on: the files its kustomization graph reaches, and the inputs all share.

A kustomize target reads its kustomization, every file and folder that kustomization names (resources,
bases, components, patches, generators, transformers, ...), recursively, and may read any file lying directly
in a folder it reaches. A service's targets also read their app folder (its `.copier-answers.yml` holds the
SLO answers promtool's generated tests check the alerts against), so they claim everything under it. A
plain-files target reads its files, and any YAML file that appears in a folder of its tree that is not a
kustomization becomes one of its files. What every target shares (the policies, the catalog, the chart
versions, the gate itself) is listed in SHARED_INPUTS: a change there changes every verdict.

The same answer serves two questions: which targets a set of changed paths can affect (`claims`), and what
a target's cached result is keyed by (`Inputs.digest`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groundwork.catalog.load import CATALOG_DIR
from groundwork.check.discover import kustomization_file, load_kustomization, resolved
from groundwork.check.model import Target
from groundwork.gitops.versions import VERSIONS_FILE
from groundwork.paths import (
    ADDONS_DIR,
    APPS_DIR,
    BOOTSTRAP_DIR,
    CATALOG_FILE,
    DASHBOARDS_ADDON,
    GITOPS_DIR,
    POLICIES_DIR,
    SLO_RULES_FILE,
)

# Paths (relative to the repository root) whose content every target's verdict depends on. A folder means
# everything under it. The gate's own code is a shared input too: the cache keys on the installed package
# (`shared_digest`), and `--changed-since` on GATE_SOURCES of a groundwork checkout.
# The fleet's SLO rules are judged with every service's objectives (rules/promtool.py).
SHARED_INPUTS = (
    POLICIES_DIR,
    CATALOG_DIR,
    CATALOG_FILE,
    f"{GITOPS_DIR}/{VERSIONS_FILE}",
    f"{GITOPS_DIR}/{ADDONS_DIR}/{DASHBOARDS_ADDON}/{SLO_RULES_FILE}",
)
GATE_SOURCES = ("platform/groundwork", "pyproject.toml", "uv.lock")
# Changed files of these kinds under gitops/ that no target claims still make the gate judge everything.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

_PATH_LISTS = (
    "resources",
    "bases",
    "components",
    "crds",
    "patchesStrategicMerge",
    "configurations",
    "transformers",
    "generators",
    "validators",
)
_PATH_ITEMS = ("patches", "patchesJson6902", "replacements")
_GENERATORS = ("configMapGenerator", "secretGenerator")


@dataclass(frozen=True)
class Inputs:
    """The files a target reads and the folders in which any new, changed or deleted file may matter."""

    files: frozenset[Path]
    folders: frozenset[Path]  # a path directly inside one of these may matter
    trees: frozenset[Path]  # a path anywhere under one of these may matter
    remote: bool  # it names something outside the repository (a URL): its content cannot be known here

    def claims(self, path: Path) -> bool:
        return (
            path in self.files
            or path.parent in self.folders
            or any(tree == path or tree in path.parents for tree in self.trees)
        )

    def digest(self, root: Path, reads: FileReads | None = None) -> str | None:
        """Hash of every file it reads (name relative to `root`, and content), None when it reads something
        remote. Names are relative, so two checkouts of the same content share cached results. `reads` holds
        what other targets of the same run already read (the overlays of an app share their app folder)."""
        if self.remote:
            return None
        reads = reads or FileReads()
        found = set(self.files)
        for folder in self.folders:
            found |= reads.folder(folder)
        for tree in self.trees:
            found |= reads.tree(tree)
        digest = hashlib.sha256()
        prefix = f"{root}{os.sep}"
        for path in sorted(found):
            name = str(path)
            digest.update((name[len(prefix) :] if name.startswith(prefix) else name).encode() + b"\0")
            digest.update(reads.hash(path))
        return digest.hexdigest()


class FileReads:
    """Files' content hashes and folders' listings, each read once in a gate run."""

    def __init__(self) -> None:
        self._hashes: dict[Path, bytes] = {}
        self._folders: dict[Path, set[Path]] = {}
        self._trees: dict[Path, set[Path]] = {}

    def hash(self, path: Path) -> bytes:
        if path not in self._hashes:
            try:
                self._hashes[path] = hashlib.sha256(path.read_bytes()).digest()
            except OSError:
                self._hashes[path] = b"<missing>"
        return self._hashes[path]

    def folder(self, folder: Path) -> set[Path]:
        """The files directly in `folder`."""
        if folder not in self._folders:
            self._folders[folder] = _files_in(folder)
        return self._folders[folder]

    def tree(self, tree: Path) -> set[Path]:
        """The files anywhere under `tree`."""
        if tree not in self._trees:
            self._trees[tree] = {p for p in tree.rglob("*") if p.is_file()} if tree.is_dir() else set()
        return self._trees[tree]


def target_inputs(target: Target, gitops: Path, chart: Path | None = None) -> Inputs:
    """What `target` reads; for a Helm add-on, `chart` is its archive in the chart cache (present or not)."""
    if target.mode == "files":
        return _files_inputs(target)
    if target.mode == "helm":  # its chart, its values folder, and the ApplicationSets that declare it
        bootstrap = resolved(gitops / BOOTSTRAP_DIR)
        chart_files = frozenset({chart}) if chart is not None else frozenset()
        return Inputs(chart_files, frozenset({resolved(target.path)}), frozenset({bootstrap}), False)
    files: set[Path] = set()
    folders: set[Path] = set()
    remote = _walk(resolved(target.path), files, folders)
    trees = {resolved(gitops / APPS_DIR / target.app)} if target.service else set()
    return Inputs(frozenset(files), frozenset(folders), frozenset(trees), remote)


def _files_inputs(target: Target) -> Inputs:
    """The plain files of a folder tree: those it holds, plus any that may appear where no kustomization is."""
    top = resolved(target.path)
    folders = {top} if target.path.name == GITOPS_DIR else _unkustomized(top)
    return Inputs(frozenset(resolved(p) for p in target.files), frozenset(folders), frozenset(), False)


def _unkustomized(top: Path) -> set[Path]:
    folders = [top, *(p for p in top.rglob("*") if p.is_dir())]
    return {folder for folder in folders if kustomization_file(folder) is None}


def _walk(folder: Path, files: set[Path], folders: set[Path]) -> bool:
    """Add what the kustomization in `folder` reads; True when it names something remote."""
    if folder in folders:
        return False
    folders.add(folder)
    content = load_kustomization(folder)
    if not isinstance(content, dict):
        return False  # none, or broken: the render stage reports it; the folder itself is claimed
    remote = False
    for entry in _entries(content):
        if "://" in entry or entry.startswith(("github.com/", "git@")):
            remote = True
            continue
        path = resolved(folder / entry)
        if path.is_dir():
            remote |= _walk(path, files, folders)
        else:
            files.add(path)  # also when it is missing: kustomize fails on it, and its return changes that
    return remote or bool(content.get("helmCharts"))


def _entries(content: dict[str, Any]) -> Iterator[str]:
    for key in _PATH_LISTS:
        yield from (e for e in _list(content.get(key)) if isinstance(e, str))
    for key in _PATH_ITEMS:
        yield from (
            e["path"] for e in _list(content.get(key)) if isinstance(e, dict) and isinstance(e.get("path"), str)
        )
    for key in _GENERATORS:
        for generator in _list(content.get(key)):
            if isinstance(generator, dict):
                yield from (f.split("=", 1)[-1] for f in _list(generator.get("files")) if isinstance(f, str))
                yield from (f.split("=", 1)[-1] for f in _list(generator.get("envs")) if isinstance(f, str))
                if isinstance(generator.get("env"), str):
                    yield generator["env"]
    openapi = content.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield openapi["path"]


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _files_in(folder: Path) -> set[Path]:
    try:
        return {p for p in folder.iterdir() if p.is_file()}
    except OSError:
        return set()


def shared_paths(root: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """The shared inputs of the repository at `root` (SHARED_INPUTS), every service's catalog entry (the
    catalog's call graph, which decides what another service's AuthorizationPolicy must admit, is made of all
    of them), plus `extra` (e.g. policies elsewhere)."""
    entries = sorted(root.glob(f"{GITOPS_DIR}/{APPS_DIR}/*/{CATALOG_FILE}"))
    return [*(root / name for name in SHARED_INPUTS), *entries, *extra]


def is_shared(path: Path, shared: Iterable[Path]) -> bool:
    """Whether a (changed, maybe deleted or new) path is a shared input: under one, or a catalog file."""
    return path.name == CATALOG_FILE or any(s == path or s in path.parents for s in shared)


def tree_digest(paths: Iterable[Path], root: Path) -> str:
    """Hash of every file under `paths` (files or folders), with their names; absent paths count as absent."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(_relative(path, root).encode() + b"\0")
        if path.is_dir():
            members = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        else:
            members = [path] if path.is_file() else []
        for member in members:
            digest.update(str(member.relative_to(path) if member != path else "").encode() + b"\0")
            digest.update(hashlib.sha256(member.read_bytes()).digest())
    return digest.hexdigest()


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
