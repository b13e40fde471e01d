"""The source files a kustomization reaches, and what is wrong with them as YAML, on their real lines.

kustomize reports a broken patch as "unable to parse SM or JSON patch" on the kustomization that lists it,
and a duplicate key by line only, without the file. When a build fails, the gate reads the files the
kustomization graph reaches itself: a syntax error or a duplicate key is then reported on its own file and
line (PyYAML's marks are 0-based; the lines here are 1-based, as an editor shows them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from groundwork.check.discover import kustomization_file, references, resolved

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_RULE = "yaml"
DUPLICATE_KEY_RULE = "yaml-duplicate-key"
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class YamlProblem:
    file: Path
    line: int
    rule: str
    message: str


def reached_files(folder: Path) -> list[Path]:
    """Every file the kustomization in `folder` uses, its own kustomization file and those of its bases
    included (resources, bases, components, patches, generator inputs), in a stable order."""
    found: dict[Path, None] = {}
    seen: set[Path] = set()

    def walk(current: Path) -> None:
        current = resolved(current)
        if current in seen:
            return
        seen.add(current)
        file = kustomization_file(current)
        if file is None:
            return
        found[resolved(file)] = None
        for path in sorted(references(current)):
            if path.is_dir():
                walk(path)
            elif path.is_file():
                found[path] = None

    walk(folder)
    return list(found)


def yaml_problems(path: Path) -> list[YamlProblem]:
    """A YAML syntax error (the first one: the parser stops there), or every duplicate mapping key."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [YamlProblem(path, 1, YAML_RULE, f"cannot read: {error}")]
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if mark is not None and error.context_mark is not None and mark.line >= len(text.splitlines()):
            mark = error.context_mark  # the parser ran into the end of the file: where the construct began
        line = mark.line + 1 if mark is not None else 1
        what = " ".join(str(part) for part in (error.context, error.problem) if part) or "not YAML"
        return [YamlProblem(path, line, YAML_RULE, f"invalid YAML: {what}")]
    except yaml.YAMLError as error:
        return [YamlProblem(path, 1, YAML_RULE, f"invalid YAML: {error}")]
    return [problem for node in nodes if node is not None for problem in _duplicates(path, node)]


def _duplicates(path: Path, root: yaml.Node) -> Iterator[YamlProblem]:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    line = key.start_mark.line + 1
                    if key.value in first:
                        yield YamlProblem(
                            path,
                            line,
                            DUPLICATE_KEY_RULE,
                            f"duplicate key '{key.value}' (first at line {first[key.value]}): YAML keeps only one "
                            "of them; remove or rename one",
                        )
                    else:
                        first[key.value] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def source_problems(folder: Path) -> list[YamlProblem]:
    """The YAML problems of every YAML file the kustomization in `folder` reaches."""
    return [
        p
        for path in reached_files(folder)
        if path.suffix in _YAML_SUFFIXES or path.name == "Kustomization"
        for p in yaml_problems(path)
    ]


def count_documents(files: list[Path]) -> int:
    """How many YAML documents the files hold (for kustomize's scaling limit)."""
    total = 0
    for path in files:
        if path.suffix not in _YAML_SUFFIXES or kustomization_file(path.parent) == path:
            continue
        try:
            total += sum(1 for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader) if d is not None)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
    return total
