"""The nouns of the gate: what is rendered (Target), what comes out (Document), what is wrong (Finding)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

NO_ENV = "-"


class Stage(StrEnum):
    """Where a finding comes from, in the order the gate runs them."""

    RENDER = "render"
    SCHEMA = "schema"
    POLICY = "policy"
    RULES = "rules"


@dataclass(frozen=True)
class Target:
    """One thing the gate renders: a kustomization directory, or a folder's plain YAML files.

    `app` is the service (gitops/apps/<app>) or the top-level folder (bootstrap, addons); `env` is the overlay
    name, or NO_ENV for trees that are not per environment.
    """

    app: str
    env: str
    path: Path
    mode: Literal["kustomize", "files", "helm"]
    files: tuple[Path, ...] = ()
    slug: str = ""
    service: bool = False  # a service's overlay (gitops/apps/<app>/...), not a platform folder

    def __post_init__(self) -> None:
        if not self.slug:  # file-name-safe and unique per target: names scratch files handed to tools
            env = "none" if self.env == NO_ENV else self.env
            object.__setattr__(self, "slug", f"{self.app}__{env}")

    @property
    def label(self) -> str:
        return f"{self.app}/{self.env}"


@dataclass(frozen=True)
class Document:
    """One rendered Kubernetes object and the source file it came from."""

    target: Target
    source: Path
    body: dict[str, Any]

    @property
    def api_version(self) -> str:
        value = self.body.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        value = self.body.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def name(self) -> str:
        metadata = self.body.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return name if isinstance(name, str) else ""

    @property
    def namespace(self) -> str:
        metadata = self.body.get("metadata")
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        return namespace if isinstance(namespace, str) else ""

    @property
    def ref(self) -> str:
        """`Kind namespace/name` (or `Kind name` when cluster-scoped), as findings name a resource."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind or '<no kind>'} {where or '<no name>'}"


FieldPath = tuple[str | int, ...]  # keys and list indices from a rendered document's root to one field


@dataclass(frozen=True)
class Finding:
    """One problem: which app and environment, which file and line, which stage and rule, and what is wrong.

    `document` and `field_path` (the rendered object and the path of the offending field in it) let
    `positions.place` find the line of the source file that set it; they take no part in equality.
    """

    app: str
    env: str
    file: Path
    stage: Stage
    rule: str
    message: str
    resource: str = ""
    target: Path | None = None
    line: int | None = None
    document: Document | None = field(default=None, compare=False, repr=False)
    field_path: FieldPath = field(default=(), compare=False)

    @classmethod
    def about(cls, document: Document, stage: Stage, rule: str, message: str, path: FieldPath = ()) -> Finding:
        target = document.target
        return cls(
            target.app,
            target.env,
            document.source,
            stage,
            rule,
            message,
            document.ref,
            target.path,
            None,
            document,
            path,
        )

    @classmethod
    def on_target(cls, target: Target, file: Path, stage: Stage, rule: str, message: str) -> Finding:
        return cls(target.app, target.env, file, stage, rule, message, "", target.path)


@dataclass
class Report:
    """Everything the gate found, with what it looked at (for the summary)."""

    root: Path
    targets: list[Target] = field(default_factory=list)
    documents: int = 0
    documents_by_target: dict[Target, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)  # (event, seconds since the start)
    since: str | None = None  # --changed-since REF: only what a change since REF can affect was judged
    unchanged: list[Target] = field(default_factory=list)  # not judged: no input of theirs changed since REF
    cached: list[Target] = field(default_factory=list)  # verdict taken from the results cache
    everything_because: str = ""  # why, under --changed-since, every target was judged
    warnings: list[Finding] = field(default_factory=list)  # worth reading, not failing (e.g. unread Helm keys)
    not_judged: list[tuple[Target, str]] = field(default_factory=list)  # could not be judged here, and why
    allowed: list[tuple[Finding, str]] = field(default_factory=list)  # written-down allowances, with the reason

    @property
    def ok(self) -> bool:
        return not self.findings
