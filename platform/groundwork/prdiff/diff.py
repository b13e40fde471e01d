"""Compare a target's rendered objects at two commits, object by object (pure)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

import yaml

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ObjectDiff:
    key: str
    change: Change
    diff: str  # unified diff of the object's YAML (the whole object when added or removed)


@dataclass(frozen=True)
class UnitDiff:
    """One app/env (or platform folder): the objects that change, or why one side did not render."""

    unit: str
    objects: tuple[ObjectDiff, ...]
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.objects) or self.error is not None

    def count(self, change: Change) -> int:
        return sum(1 for o in self.objects if o.change == change)


def as_yaml(document: dict[str, Any]) -> list[str]:
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False, width=1000).splitlines()


def _unified(before: list[str], after: list[str], key: str) -> str:
    lines = difflib.unified_diff(before, after, fromfile=f"a/{key}", tofile=f"b/{key}", lineterm="", n=3)
    return "\n".join(list(lines)[2:])  # the ---/+++ header names nothing the heading does not


def diff_objects(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[ObjectDiff]:
    diffs: list[ObjectDiff] = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None:
            diffs.append(ObjectDiff(key, "added", _unified([], as_yaml(new or {}), key)))
        elif new is None:
            diffs.append(ObjectDiff(key, "removed", _unified(as_yaml(old), [], key)))
        else:
            diffs.append(ObjectDiff(key, "changed", _unified(as_yaml(old), as_yaml(new), key)))
    return diffs
