"""One place for folder names, and no import cycle: rules claimed in docstrings, enforced here.

`groundwork/paths.py` holds every folder and file name of a groundwork checkout; a second spelling of one
of them as a string anywhere else under platform/groundwork fails. The module graph of platform/groundwork
(and the graph of its subpackages) has no cycle.
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
    ("sandbox/up.py", "addons"): "a Pulumi stack configuration key",
    ("prdiff/build.py", "base"): "the scratch folder the base revision is exported to",
    ("readiness/runner.py", "gitops"): "the key of a report's source line",
    ("check/helm/keys.py", "templates"): "a Helm chart's templates/ folder, not the repository's",
    ("policy/pss/baseline.py", "runtime"): "the seccomp and AppArmor profile name runtime/default",
    ("policy/databases.py", "bootstrap"): "a CloudNativePG Cluster's spec.bootstrap field",
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


def _module_graph() -> dict[str, set[str]]:
    modules = {}
    for file in PACKAGE.rglob("*.py"):
        parts = file.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = file
    graph: dict[str, set[str]] = {}
    for name, file in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                candidates = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            imported |= {c for c in candidates if c in modules and c != name}
        graph[name] = imported
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each a cycle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back() -> None:
    assert _cycles(_module_graph()) == []


def test_no_subpackage_imports_itself_back() -> None:
    """groundwork.catalog may use groundwork.check or the other way round, never both."""
    packages: dict[str, set[str]] = {}
    for module, imported in _module_graph().items():
        source = ".".join(module.split(".")[:2])
        packages.setdefault(source, set())
        packages[source] |= {".".join(t.split(".")[:2]) for t in imported} - {source}
    assert _cycles(packages) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
