"""The line of the source file a finding is about, through kustomize: a field an overlay's patch sets is
blamed on the patch, a field of the base on the base, a generated object on its generator's entry.

`Positions.place(finding)` looks at the finding's rendered document and the path of its offending field
(`Finding.field_path`), walks the kustomization graph from the target's folder outwards-in (the target's own
patches first, last listed first, then its components, then its resources and their own patches), and picks
the source that holds the longest part of the path; on a tie the outer layer wins (a patch over the base it
patches), except that a patch holding nothing of the path never beats the file defining the object. List
items are matched by their merge key (`name`, `containerPort`, `mountPath`), as a strategic merge patch
matches them, not by index. Only findings are placed, so a green tree costs nothing here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from groundwork.check.discover import kustomization_file
from groundwork.check.model import Document, FieldPath, Finding

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_KEYS = ("name", "containerPort", "mountPath", "devicePath", "ip")
_GENERATORS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}
_HASH_SUFFIX = re.compile(r"-[a-z0-9]{10}$")


@dataclass(frozen=True)
class _Source:
    file: Path
    node: yaml.Node  # a document (mapping) of a resource or patch file, or a JSON 6902 operation
    patch: bool  # a patch layered over the object, not the file defining it
    offset: int = 0  # lines before the node's text (an inline patch sits inside kustomization.yaml)
    op_path: FieldPath | None = None  # a JSON 6902 operation: the path it writes
    fixed_line: int | None = None  # every part of it is reported on this line (a quoted inline patch)
    image: bool = False  # an `images:` entry of a kustomization: it sets the whole image field


class Positions:
    """Places findings on source lines; reads (and caches) each file's YAML nodes once. Thread-safe."""

    def __init__(self) -> None:
        self._nodes: dict[Path, list[yaml.Node]] = {}
        self._lock = threading.Lock()

    def place(self, finding: Finding) -> Finding:
        """The finding on its source line; one about a whole file (nothing finer is known) on line 1."""
        if finding.line is not None:
            return finding
        found = self.locate(finding.document, finding.field_path) if finding.document is not None else None
        return replace(finding, file=found[0], line=found[1]) if found else replace(finding, line=1)

    def locate(self, document: Document, path: FieldPath) -> tuple[Path, int] | None:
        target = document.target
        if target.mode == "files":
            sources = [_Source(document.source, n, False) for n in self._documents_of(document.source, document)]
        else:
            sources = list(self._layers(target.path.resolve(), document, set()))
        best: tuple[int, Path, int] | None = None  # (depth, file, line)
        for source in sources:
            depth, line = _depth(source, path, document.body)
            if source.patch and depth == 0:
                continue
            if best is None or depth > best[0]:
                best = (depth, source.file, source.fixed_line or line + source.offset)
        return (best[1], best[2]) if best else None

    # --- the kustomization graph ---

    def _layers(self, folder: Path, document: Document, seen: set[Path]) -> Iterator[_Source]:
        if folder in seen:
            return
        seen.add(folder)
        file = kustomization_file(folder)
        nodes = self._nodes_of(file) if file else []
        if file is None or not nodes or not isinstance(nodes[0], yaml.MappingNode):
            return
        root = nodes[0]
        content = _plain(root)
        yield from _images(file, root, document)
        yield from self._patches(folder, file, root, content, document)
        yield from self._generated(file, root, document)
        for key in ("components", "resources", "bases"):
            for entry in content.get(key) or []:
                if not isinstance(entry, str) or "://" in entry or entry.startswith("github.com/"):
                    continue
                path = (folder / entry).resolve()
                if path.is_dir():
                    yield from self._layers(path, document, seen)
                elif path.is_file():
                    yield from (_Source(path, n, False) for n in self._documents_of(path, document))

    def _patches(
        self, folder: Path, file: Path, root: yaml.MappingNode, content: Mapping[str, Any], document: Document
    ) -> Iterator[_Source]:
        entries: list[tuple[Any, yaml.Node | None, Mapping[str, Any]]] = []
        for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
            listed = _child(root, key)
            items = listed.value if isinstance(listed, yaml.SequenceNode) else []
            for item in items:
                value = _plain(item)
                if isinstance(value, str):  # patchesStrategicMerge: a file name or an inline patch
                    value = {"path": value} if "\n" not in value else {"patch": value}
                if isinstance(value, Mapping):
                    entries.append((value, item, _mapping(value.get("target"))))
        for value, item, selector in reversed(entries):  # the last patch applied wins
            if selector and not _selects(selector, document):
                continue
            if isinstance(value.get("path"), str):
                path = (folder / value["path"]).resolve()
                for node in self._nodes_of(path):
                    yield from _patch_sources(path, node, document, bool(selector), 0)
            elif isinstance(value.get("patch"), str) and isinstance(item, yaml.MappingNode):
                text_node = _child(item, "patch")
                if text_node is None:
                    continue
                block = getattr(text_node, "style", None) in ("|", ">")
                try:
                    inline = list(yaml.compose_all(value["patch"], Loader=_Loader))
                except yaml.YAMLError:
                    continue
                # A block scalar's lines are the file's, one below the key; a quoted one-line patch's are not:
                # then the entry's own line is what the finding names.
                offset = text_node.start_mark.line + 1 if block else 0
                fixed = None if block else text_node.start_mark.line + 1
                for node in inline:
                    for source in _patch_sources(file, node, document, bool(selector), offset):
                        yield replace(source, fixed_line=fixed)

    def _generated(self, file: Path, root: yaml.MappingNode, document: Document) -> Iterator[_Source]:
        """A ConfigMap or Secret from a generator: its entry in the kustomization."""
        for key, kind in _GENERATORS.items():
            if document.kind != kind:
                continue
            listed = _child(root, key)
            for item in listed.value if isinstance(listed, yaml.SequenceNode) else []:
                name = _plain(_child(item, "name")) if isinstance(item, yaml.MappingNode) else None
                if isinstance(name, str) and _names_match(name, document.name):
                    yield _Source(file, item, False)

    # --- files ---

    def _documents_of(self, path: Path, document: Document) -> list[yaml.Node]:
        return [
            n
            for n in self._nodes_of(path)
            if isinstance(n, yaml.MappingNode)
            and _plain(_child(n, "kind")) == document.kind
            and _names_match(str(_plain(_child(_child(n, "metadata"), "name")) or ""), document.name)
        ]

    def _nodes_of(self, path: Path) -> list[yaml.Node]:
        with self._lock:
            cached = self._nodes.get(path)
        if cached is not None:
            return cached
        try:
            nodes = [n for n in yaml.compose_all(path.read_text(encoding="utf-8"), Loader=_Loader) if n is not None]
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            nodes = []
        with self._lock:
            self._nodes[path] = nodes
        return nodes


def _images(file: Path, root: yaml.MappingNode, document: Document) -> Iterator[_Source]:
    """The kustomization's `images:` entries: each rewrites the image field of the containers it names."""
    listed = _child(root, "images")
    for item in listed.value if isinstance(listed, yaml.SequenceNode) else []:
        if isinstance(item, yaml.MappingNode):
            yield _Source(file, item, True, image=True)


def _repository(image: str) -> str:
    """`ghcr.io/acme/shop:1.0@sha256:...` -> `ghcr.io/acme/shop`."""
    image = image.split("@", 1)[0]
    head, _, last = image.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def _patch_sources(file: Path, node: yaml.Node, document: Document, targeted: bool, offset: int) -> Iterator[_Source]:
    if isinstance(node, yaml.SequenceNode):  # JSON 6902: a list of operations, aimed by the entry's target
        if not targeted:
            return
        for op in node.value:
            op_path = _plain(_child(op, "path")) if isinstance(op, yaml.MappingNode) else None
            if isinstance(op_path, str):
                steps = tuple(
                    int(s) if s.isdigit() else s.replace("~1", "/").replace("~0", "~") for s in op_path.split("/")[1:]
                )
                yield _Source(file, op, True, offset, steps)
    elif isinstance(node, yaml.MappingNode):
        kind = _plain(_child(node, "kind"))
        name = _plain(_child(_child(node, "metadata"), "name"))
        if targeted or (kind == document.kind and isinstance(name, str) and _names_match(name, document.name)):
            yield _Source(file, node, True, offset)


def _depth(source: _Source, path: FieldPath, body: Mapping[str, Any]) -> tuple[int, int]:
    """How much of `path` the source holds, and the line (1-based) of the deepest part it holds."""
    node = source.node
    if source.image:  # an images: entry holds the whole image field of the containers whose image it names
        rendered = _at(body, path)
        entry = _plain(node)
        names = {str(entry.get(k)) for k in ("name", "newName") if isinstance(entry, Mapping) and entry.get(k)}
        if path and path[-1] == "image" and isinstance(rendered, str) and _repository(rendered) in names:
            return len(path), node.start_mark.line + 1
        return 0, node.start_mark.line + 1
    if source.op_path is not None:
        steps = source.op_path
        if tuple(path[: len(steps)]) != steps:
            return 0, node.start_mark.line + 1
        value = _child(node, "value")
        line = (_key(node, "path") or node).start_mark.line + 1
        if value is None:
            return len(steps), line
        below, line_below = _walk(value, path[len(steps) :], _at(body, path[: len(steps)]), strict=False)
        return len(steps) + below, line_below if below else line
    return _walk(node, path, body, strict=not source.patch)


def _walk(node: yaml.Node, path: FieldPath, body: Any, strict: bool) -> tuple[int, int]:
    line = node.start_mark.line + 1
    depth = 0
    for step in path:
        if isinstance(step, str) and isinstance(node, yaml.MappingNode):
            key, value = _key(node, step), _child(node, step)
            if key is None or value is None:
                break
            node, line = value, key.start_mark.line + 1
            body = body.get(step) if isinstance(body, Mapping) else None
        elif isinstance(step, int) and isinstance(node, yaml.SequenceNode):
            rendered = body[step] if isinstance(body, list) and 0 <= step < len(body) else None
            match = _item(node, rendered, step if strict else None)
            if match is None:
                break
            node, line, body = match, match.start_mark.line + 1, rendered
        else:
            break
        depth += 1
    return depth, line


def _item(node: yaml.SequenceNode, rendered: Any, index: int | None) -> yaml.Node | None:
    """The list item matching the rendered one by merge key, else (in the defining file) by position."""
    if isinstance(rendered, Mapping):
        for key in _MERGE_KEYS:
            if key in rendered:
                for item in node.value:
                    if isinstance(item, yaml.MappingNode) and str(_plain(_child(item, key))) == str(rendered[key]):
                        return item
                return None
    items: list[yaml.Node] = node.value
    return items[index] if index is not None and 0 <= index < len(items) else None


def _pair(node: yaml.Node | None, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                return key, value
    return None


def _key(node: yaml.Node | None, name: str) -> yaml.Node | None:
    pair = _pair(node, name)
    return pair[0] if pair else None


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    pair = _pair(node, name)
    return pair[1] if pair else None


def _plain(node: yaml.Node | None) -> Any:
    if node is None:
        return None
    try:
        return yaml.load(yaml.serialize(node), Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError:
        return None


def _at(body: Any, path: FieldPath) -> Any:
    for step in path:
        if isinstance(step, str) and isinstance(body, Mapping):
            body = body.get(step)
        elif isinstance(step, int) and isinstance(body, list) and 0 <= step < len(body):
            body = body[step]
        else:
            return None
    return body


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _names_match(source_name: str, rendered_name: str) -> bool:
    """A source's name against the rendered one: equal, or inside it (namePrefix/nameSuffix, a hash suffix)."""
    if not source_name:
        return False
    return (
        source_name == rendered_name
        or source_name == _HASH_SUFFIX.sub("", rendered_name)
        or (source_name in rendered_name)
    )


def _selects(selector: Mapping[str, Any], document: Document) -> bool:
    """A patch entry's `target` (kind, name as a regular expression, namespace; label selectors not judged)."""
    for field, value in (("kind", document.kind), ("namespace", document.namespace)):
        if selector.get(field) and selector[field] != value:
            return False
    name = selector.get("name")
    if isinstance(name, str) and name:
        try:
            return re.fullmatch(name, document.name) is not None
        except re.error:
            return name == document.name
    return True
