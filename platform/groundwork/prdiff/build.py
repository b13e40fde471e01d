"""Put the pieces together: changed files -> affected targets -> renders at both commits -> per-unit diffs."""

from __future__ import annotations

import tempfile
from pathlib import Path

from groundwork.check.render import find_kubectl
from groundwork.paths import ENVIRONMENTS
from groundwork.prdiff.diff import UnitDiff, diff_objects
from groundwork.prdiff.render import Rendered, render_targets, select
from groundwork.prdiff.scope import scope_of
from groundwork.prdiff.trees import changed_files, export_gitops


def _error(base: Rendered | None, head: Rendered | None) -> str | None:
    if head is not None and head.error is not None:
        return f"at this pull request: {head.error}"
    return None  # a base that did not render but a head that does: show everything as it will be


def _order(unit: str) -> tuple[str, int, str]:
    """Apps first by name, each environment in promotion order; platform folders by path."""
    app, _, env = unit.partition("/")
    return (app, ENVIRONMENTS.index(env) if env in ENVIRONMENTS else len(ENVIRONMENTS), env)


def unit_diffs(repo: Path, base: str, head: str, workers: int = 2) -> list[UnitDiff]:
    scope = scope_of(changed_files(repo, base, head))
    if scope.empty:
        return []
    kubectl = find_kubectl()
    with tempfile.TemporaryDirectory(prefix="groundwork-prdiff-") as scratch:
        before_tree = export_gitops(repo, base, Path(scratch) / "base")
        after_tree = export_gitops(repo, head, Path(scratch) / "head")
        before_targets = select(before_tree, scope)
        after_targets = select(after_tree, scope)
        before = render_targets(before_targets, before_tree, kubectl, workers) if before_tree else {}
        after = render_targets(after_targets, after_tree, kubectl, workers) if after_tree else {}
    units = []
    for unit in sorted(before.keys() | after.keys(), key=_order):
        old, new = before.get(unit), after.get(unit)
        error = _error(old, new)
        old_objects = old.objects if old is not None and old.error is None else {}
        new_objects = new.objects if new is not None else {}
        objects = () if error else tuple(diff_objects(old_objects, new_objects))
        units.append(UnitDiff(unit, objects, error))
    return units
