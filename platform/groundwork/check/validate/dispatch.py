"""Route every document to the validator for its API group; a kind that none knows is an error."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from groundwork.check.model import Document, Finding, Stage
from groundwork.check.validate import core, crd_schemas, models, npm_models

RULE_NO_KIND = "no-kind"
RULE_UNKNOWN_KIND = "unknown-kind"


class SchemaJudge:
    """Holds the (expensive, cached) validators for one run.

    `judge` validates in-process what it can as documents arrive and keeps the npm-model kinds aside;
    `finish` validates those in one node process.
    """

    def __init__(
        self, kubernetes_version: str = core.KUBERNETES_VERSION, cache: Path | None = None, root: Path | None = None
    ) -> None:
        self.core = core.CoreSchemas(kubernetes_version)
        self.models = models.ModelSchemas()
        self.crds = crd_schemas.CrdSchemas(functools.partial(crd_schemas.module_dir, root=root))
        self.cache = cache
        self.core_rule = f"k8s-{self.core.minor}-strict"
        self._node: list[Document] = []

    def judge(self, documents: Sequence[Document]) -> list[Finding]:
        findings: list[Finding] = []
        node = self._node
        for document in documents:
            api_version, kind = document.api_version, document.kind
            if not api_version or not kind:
                missing = " and ".join(name for name, v in (("apiVersion", api_version), ("kind", kind)) if not v)
                findings.append(Finding.about(document, Stage.SCHEMA, RULE_NO_KIND, f"document has no {missing}"))
                continue
            if npm_models.handles(api_version):
                node.append(document)
                continue
            if core.is_core(api_version):
                name = document.target.app if document.target.service else None
                errors, rule = self.core.errors(document.body, name), self.core_rule
            elif models.handles(api_version):
                errors, rule = self.models.errors(document.body), _model_rule(api_version)
            elif crd_schemas.handles(api_version):
                errors, rule = self.crds.errors(document.body), crd_schemas.rule_for(api_version)
            else:
                errors, rule = None, RULE_UNKNOWN_KIND
            findings += _findings(document, errors, rule)
        return findings

    def finish(self) -> list[Finding]:
        """Validate the documents kept for the npm models, in one node process."""
        node, self._node = self._node, []
        findings: list[Finding] = []
        if node:
            home = npm_models.ensure_installed(self.cache)
            verdicts = npm_models.validate_batch([d.body for d in node], home)
            for document, errors in zip(node, verdicts, strict=True):
                findings += _findings(document, errors, npm_models.rule_for(document.api_version))
        return findings


def _model_rule(api_version: str) -> str:
    return "prometheus-operator-schema" if api_version.startswith("monitoring.coreos.com/") else "istio-schema"


def _findings(document: Document, errors: list[str] | None, rule: str) -> list[Finding]:
    if errors is None:
        message = f"no validator for kind {document.kind} (apiVersion {document.api_version})"
        return [Finding.about(document, Stage.SCHEMA, RULE_UNKNOWN_KIND, message)]
    return [Finding.about(document, Stage.SCHEMA, rule, error, _field_of(error)) for error in errors]


def _field_of(error: str) -> tuple[str | int, ...]:
    """The field an error names first ("spec.http.0.timeoutt: unknown field"), as a path for positions."""
    head = error.split(":", 1)[0].strip()
    if not head or " " in head:
        return ()
    return tuple(int(step) if step.isdigit() else step for step in head.split("."))
