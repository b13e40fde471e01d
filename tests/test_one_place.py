"""One place for folder names: a rule claimed in a docstring, enforced here.

`groundwork/paths.py` holds every folder and file name of a groundwork checkout; a second spelling of one
of them as a string anywhere else under platform/groundwork fails.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from groundwork import paths

PACKAGE = Path(paths.__file__).parent
NAMES = {
    value for name, value in vars(paths).items() if name.isupper() and isinstance(value, str) and name != "ENVIRONMENTS"
}
# A string equal to a folder name that means something else, with the reason.
NOT_A_PATH = {
    ("infra/argocd.py", "bootstrap"): "the name of the AppProject the infrastructure creates",
    ("infra/settings.py", "addons"): "a Pulumi stack configuration key",
    ("prdiff/build.py", "base"): "the scratch folder the base revision is exported to",
    ("readiness/runner.py", "gitops"): "the key of a report's source line",
}


def _strings(tree: ast.AST) -> Iterator[ast.Constant]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    # The text around an f-string's values is a message, not a path; the values' own strings do count.
    prose = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings | prose:
            yield node


def _spelled(value: str) -> set[str]:
    """The folder names a string spells: itself, or the segments of a path-like string (no white space)."""
    if value in NAMES:
        return {value}
    if any(c.isspace() for c in value) or "/" not in value:
        return set()
    return {segment for segment in value.split("/") if segment in NAMES}


def test_folder_names_are_spelled_only_in_paths() -> None:
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        rel = file.relative_to(PACKAGE).as_posix()
        if rel == "paths.py":
            continue
        for node in _strings(ast.parse(file.read_text())):
            for name in _spelled(node.value):
                if (rel, name) not in NOT_A_PATH:
                    found.append(f"{rel}:{node.lineno}: {node.value!r} spells {name!r}")
    assert not found, "use the constants of groundwork/paths.py:\n" + "\n".join(found)


def test_the_environments_are_listed_once() -> None:
    found = [
        f"{file.relative_to(PACKAGE)}:{node.lineno}"
        for file in sorted(PACKAGE.rglob("*.py"))
        if file.name != "paths.py"
        for node in ast.walk(ast.parse(file.read_text()))
        if isinstance(node, ast.Tuple | ast.List)
        and [getattr(e, "value", None) for e in node.elts] == list(paths.ENVIRONMENTS)
    ]
    assert not found, f"use groundwork.paths.ENVIRONMENTS: {found}"
