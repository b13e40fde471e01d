"""Values keys a chart's templates never read: Helm drops them without a word, so the gate says so.

The chart's templates (its own and its subcharts', `.tpl` helpers included) are read for the values paths
they name: `.Values.a.b`, `$.Values.a`, `index .Values "a-b" "c"`. A key of a values file is read when a
named path is a prefix of it (the template takes the whole subtree, e.g. `toYaml .Values.a`) or it is a
prefix of a named path. Keys under a subchart's name are looked up in that subchart; `global` in any chart.
A template that takes `.Values` whole (e.g. `include "x" .Values`) reads everything: no key is reported.
Charts with a `values.schema.json` are judged by Helm against it instead.
"""

from __future__ import annotations

import io
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

_PATH = re.compile(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)")
_INDEX = re.compile(r"index\s+\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\s+\"[^\"]+\")+)")
_WHOLE = re.compile(r"\$?\.Values(?![.\w])")
_WHOLE_OK = re.compile(r"(?:with|range)\s+\$?\.Values(?![.\w])")  # `with .Values` alone reads nothing yet
GLOBAL = "global"
CHART_TEMPLATES = "templates"  # a chart's folder of templates

Path_ = tuple[str, ...]


@dataclass
class ChartReads:
    """What one chart (and, by name, its subcharts) reads of its values."""

    paths: set[Path_] = field(default_factory=set)
    everything: bool = False
    subcharts: dict[str, ChartReads] = field(default_factory=dict)

    def reads(self, path: Path_) -> bool:
        if self.everything:
            return True
        if path and path[0] in self.subcharts:
            sub = self.subcharts[path[0]]
            if len(path) == 1 or sub.reads(path[1:]):
                return True
        if path and path[0] == GLOBAL and self._reads_global(path):
            return True
        return any(_comparable(path, read) for read in self.paths)

    def _reads_global(self, path: Path_) -> bool:
        return any(_comparable(path, read) for read in self.paths) or any(
            sub._reads_global(path) for sub in self.subcharts.values()
        )


def _comparable(a: Path_, b: Path_) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter] and shorter > 0


def chart_reads(archive: bytes) -> ChartReads:
    """The values paths the templates of a packaged chart (`.tgz`) read."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    top = min((PurePosixPath(name).parts[0] for name in files), default="")
    inside = {PurePosixPath(n).relative_to(top).as_posix(): b for n, b in files.items() if n.startswith(top + "/")}
    return _reads_of(inside)


def _reads_of(files: dict[str, bytes]) -> ChartReads:
    reads = ChartReads()
    subfiles: dict[str, dict[str, bytes]] = {}
    for path, content in files.items():
        parts = PurePosixPath(path).parts
        if len(parts) >= 3 and parts[0] == "charts":
            subfiles.setdefault(parts[1], {})[PurePosixPath(*parts[2:]).as_posix()] = content
        elif len(parts) == 2 and parts[0] == "charts" and parts[1].endswith(".tgz"):
            sub = chart_reads(content)
            reads.subcharts[_chart_name(content) or parts[1].rsplit("-", 1)[0]] = sub
        elif parts[0] == CHART_TEMPLATES:
            _scan(content.decode("utf-8", "replace"), reads)
    for folder, sub_files in subfiles.items():
        reads.subcharts[folder] = _reads_of(sub_files)
    for alias, target in _aliases(files.get("Chart.yaml", b"")).items():
        if target in reads.subcharts:
            reads.subcharts[alias] = reads.subcharts[target]
    return reads


def _scan(text: str, reads: ChartReads) -> None:
    for match in _PATH.finditer(text):
        path = tuple(p for p in match.group(1).split(".") if p)
        if path:
            reads.paths.add(path)
    for match in _INDEX.finditer(text):
        base = tuple(p for p in match.group(1).split(".") if p)
        reads.paths.add((*base, *re.findall(r"\"([^\"]+)\"", match.group(2))))
    whole = len(_WHOLE.findall(text)) - len(_WHOLE_OK.findall(text)) - len(_INDEX.findall(text))
    if whole > 0:
        reads.everything = True


def _chart_name(archive: bytes) -> str:
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
            meta = yaml.safe_load(tar.extractfile(member).read())  # type: ignore[union-attr]
        return str(meta.get("name", "")) if isinstance(meta, dict) else ""
    except (StopIteration, tarfile.TarError, yaml.YAMLError):
        return ""


def _aliases(chart_yaml: bytes) -> dict[str, str]:
    try:
        meta = yaml.safe_load(chart_yaml) or {}
    except yaml.YAMLError:
        return {}
    found = {}
    for dependency in meta.get("dependencies") or [] if isinstance(meta, dict) else []:
        if isinstance(dependency, dict) and dependency.get("alias") and dependency.get("name"):
            found[str(dependency["alias"])] = str(dependency["name"])
    return found


@dataclass(frozen=True)
class UnreadKey:
    path: Path_
    line: int


def unread_keys(values_text: str, reads: ChartReads) -> list[UnreadKey]:
    """Keys of a values file (with their lines) that no template of the chart reads; not below one reported."""
    try:
        node = yaml.compose(values_text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []  # helm template reports the broken file
    found: list[UnreadKey] = []

    def walk(mapping: yaml.Node, prefix: Path_) -> None:
        if not isinstance(mapping, yaml.MappingNode):
            return
        for key, value in mapping.value:
            path = (*prefix, str(key.value))
            if not reads.reads(path):
                found.append(UnreadKey(path, key.start_mark.line + 1))
            else:
                walk(value, path)

    if node is not None:
        walk(node, ())
    return found
