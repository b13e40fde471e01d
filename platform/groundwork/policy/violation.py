"""What a native check reports: one rule broken by one resource of one rendered app/env."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Document = Mapping[str, Any]
FieldPath = tuple[str | int, ...]  # keys and list indices from a document's root to one field
# What a check's `judge` returns per problem: (resource, message), or (resource, message, the field's path).
Problem = tuple[str, str] | tuple[str, str, FieldPath]


@dataclass(frozen=True)
class Violation:
    """`group` is the rendered unit the documents came from (the gate's `<app>__<env>` file or target)."""

    check_id: str
    check_name: str
    group: str
    resource: str
    message: str
    path: FieldPath = ()

    def __str__(self) -> str:
        return f"{self.check_id} {self.group} {self.resource}: {self.message}"


@dataclass(frozen=True)
class NativeCheck:
    """A rule over all documents of one group; `judge` returns a (resource, message[, path]) per problem.

    `title` is the CamelCase name its fixtures live under (policies/native/fixtures/<title>/).
    """

    check_id: str
    title: str
    name: str
    judge: Callable[[Sequence[Document]], Sequence[Problem]]
