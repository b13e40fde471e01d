"""YAML documents with the line of every key and item, so a problem can be reported as `file:line`.

PyYAML composes each document into nodes (which carry their start marks) and constructs plain Python data from
them; the walk over the same nodes records the 1-based line of every path (`("spec", "owner")`,
`("spec", "providesApis", 0)`). Duplicate keys, which PyYAML would silently collapse, are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from groundwork.catalog.errors import CatalogError

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """One YAML document of `file` (shown as `shown`): its data and the line of each path in it."""

    shown: str
    line: int
    data: object
    lines: Mapping[Path_, int] = field(default_factory=dict)

    def line_of(self, *path: str | int) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return self.line

    def error(self, problem: str, *path: str | int, fix: str = "") -> CatalogError:
        return CatalogError(self.shown, self.line_of(*path), problem, fix)


def load_documents(file: Path, shown: str | None = None) -> list[Document]:
    """Every non-empty document of `file`; a YAML error becomes one `file:line: problem` CatalogError."""
    label = shown or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(label, 1, "the file does not exist", "create it or remove the reference to it") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(label, 1, f"cannot be read ({error.__class__.__name__})", "save it as UTF-8 text") from None
    return parse_documents(text, label)


# libyaml's parser when PyYAML was built with it (the same nodes and marks, several times faster).
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_documents(text: str, shown: str) -> list[Document]:
    loader = _Loader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[Path_, int] = {}
            _walk(node, (), lines, shown)
            data = loader.construct_document(node)
            if data is None:
                continue
            documents.append(Document(shown, node.start_mark.line + 1, data, lines))
    except yaml.MarkedYAMLError as error:
        # An unclosed bracket or quote is noticed far below it: point at where it opened ("while parsing a
        # flow sequence"), which is where the fix goes.
        mark = error.context_mark or error.problem_mark
        line = mark.line + 1 if mark is not None else 1
        parts = [error.context, error.problem] if error.context else [error.problem]
        problem = " ".join(", ".join(str(part) for part in parts if part).split()) or "not valid YAML"
        raise CatalogError(shown, line, f"invalid YAML: {problem}", "fix the YAML syntax") from None
    except yaml.YAMLError as error:
        raise CatalogError(shown, 1, f"invalid YAML: {' '.join(str(error).split())}", "fix the YAML syntax") from None
    finally:
        loader.dispose()
    return documents


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], shown: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise CatalogError(shown, key_node.start_mark.line + 1, "a mapping key is not a plain value")
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise CatalogError(
                    shown, line, f"key '{key}' appears twice (first on line {seen[key]})", "keep one of them"
                )
            seen[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, shown)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines, shown)
