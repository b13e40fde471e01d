"""What a native check reports: one rule broken by one resource of one rendered app/env."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Document = Mapping[str, Any]


@dataclass(frozen=True)
class Violation:
    """`group` is the rendered unit the documents came from (the gate's `<app>__<env>` file or target)."""

    check_id: str
    check_name: str
    group: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.check_id} {self.group} {self.resource}: {self.message}"


@dataclass(frozen=True)
class NativeCheck:
    """A rule over all documents of one group; `judge` returns (resource, message) pairs for what breaks it.

    `title` is the CamelCase name its fixtures live under (policies/native/fixtures/<title>/).
    """

    check_id: str
    title: str
    name: str
    judge: Callable[[Sequence[Document]], list[tuple[str, str]]]
