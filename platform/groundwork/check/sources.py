"""Which source file a rendered document came from, found by walking the kustomization graph.

kustomize can annotate each output with its origin (`buildMetadata: [originAnnotations]`), but that costs
about as much again as the build itself. Here the files a kustomization uses are read once (a base is shared by
every overlay) and each object they define is indexed by (kind, name); a ConfigMap or Secret from a generator
points at the kustomization that declares the generator. A rendered document is then looked up by kind and
name, allowing for a generator's hash suffix and a name prefix or suffix; what cannot be found is reported on
the overlay's kustomization file.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from groundwork.check.discover import kustomization_file

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_HASH_SUFFIX = re.compile(r"-[a-z0-9]{10}$")
_GRAPH_KEYS = ("resources", "bases", "components")
_GENERATORS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}

Key = tuple[str, str]  # (kind, metadata.name)
_CUT = Path("/dev/null/cycle")  # marks a walk in which a kustomization reached itself again


class SourceIndex:
    """Maps a kustomization folder's rendered objects back to the files that define them (thread-safe)."""

    def __init__(self) -> None:
        self._files: dict[Path, list[Key]] = {}
        self._kustomizations: dict[Path, Any] = {}  # a base's kustomization is read once, not once per overlay
        self._folders: dict[Path, list[tuple[Key, Path]]] = {}  # and walked once: every overlay shares it
        self._lock = threading.Lock()

    def sources(self, folder: Path) -> dict[Key, Path]:
        """(kind, name) -> defining file for everything the kustomization in `folder` builds."""
        found: dict[Key, Path] = {}
        for key, path in self._walk(folder.resolve(), set()):
            found.setdefault(key, path)
        return found

    def _walk(self, folder: Path, seen: set[Path]) -> Iterator[tuple[Key, Path]]:
        """What `folder` builds, in kustomize's order (a folder reached twice adds what it added the first time;
        `sources` keeps the first). Walked once per run and remembered, unless a cycle was cut inside it."""
        if folder in seen:
            seen.add(_CUT)
            return
        with self._lock:
            walked = self._folders.get(folder)
        if walked is None:
            inner = {*seen, folder} - {_CUT}
            walked = list(self._walk_once(folder, inner))
            if _CUT in inner:
                seen.add(_CUT)
            else:
                with self._lock:
                    self._folders[folder] = walked
        yield from walked

    def _walk_once(self, folder: Path, seen: set[Path]) -> Iterator[tuple[Key, Path]]:
        file = kustomization_file(folder)
        content = self._kustomization(file) if file else None
        if file is None or not isinstance(content, dict):
            return
        for generator_key, kind in _GENERATORS.items():
            for generator in content.get(generator_key) or []:
                if isinstance(generator, dict) and isinstance(generator.get("name"), str):
                    yield (kind, generator["name"]), file
        for graph_key in _GRAPH_KEYS:
            for entry in content.get(graph_key) or []:
                if not isinstance(entry, str) or "://" in entry or entry.startswith("github.com/"):
                    continue
                path = (folder / entry).resolve()
                if path.is_dir():
                    yield from self._walk(path, seen)
                elif path.is_file():
                    yield from ((key, path) for key in self._keys(path))

    def _keys(self, path: Path) -> list[Key]:
        with self._lock:
            cached = self._files.get(path)
        if cached is not None:
            return cached
        keys: list[Key] = []
        try:
            documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            documents = []
        for document in documents:
            if isinstance(document, dict):
                metadata = document.get("metadata")
                name = metadata.get("name") if isinstance(metadata, dict) else None
                keys.append((str(document.get("kind", "")), str(name or "")))
        with self._lock:
            self._files[path] = keys
        return keys

    def _kustomization(self, path: Path) -> Any:
        with self._lock:
            if path in self._kustomizations:
                return self._kustomizations[path]
        content = self._load_one(path)
        with self._lock:
            self._kustomizations[path] = content
        return content

    @staticmethod
    def _load_one(path: Path) -> Any:
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None


def lookup(sources: dict[Key, Path], kind: str, name: str) -> Path | None:
    """The file defining (kind, name), allowing for a generator hash suffix and a name prefix/suffix."""
    if (kind, name) in sources:
        return sources[(kind, name)]
    unhashed = _HASH_SUFFIX.sub("", name)
    if (kind, unhashed) in sources:
        return sources[(kind, unhashed)]
    candidates = [path for (k, n), path in sources.items() if k == kind and n and n in name]
    return candidates[0] if len(candidates) == 1 else None
