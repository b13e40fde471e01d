"""Kubernetes' own kinds, against the pinned Kubernetes version's strict schemas (unknown fields rejected).

The schemas and their lookup are kubernetes-validate's (`kubernetes_validate.utils`), the same files its
`validate(..., strict=True)` reads; what this module adds is caching: kubernetes-validate parses the 1.8 MB
definitions file on every call, which would dominate a run over thousands of documents.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
from kubernetes_validate import utils as kv  # type: ignore[import-untyped]
from referencing import Registry, Resource

# The Kubernetes minor the platform's clusters run; the schemas are the newest kubernetes-validate ships for it.
KUBERNETES_VERSION = "1.37.0"
MAX_ERRORS_PER_DOCUMENT = 5

_CORE_GROUP = re.compile(r"^([a-z0-9]+|[a-z0-9.-]+\.k8s\.io)$")


def is_core(api_version: str) -> bool:
    """True for Kubernetes' built-in API groups: the legacy core (`v1`), `apps`, `batch`, `*.k8s.io`, ..."""
    if "/" not in api_version:
        return bool(api_version)
    group = api_version.split("/", 1)[0]
    return bool(_CORE_GROUP.match(group))


class CoreSchemas:
    """Strict validators for built-in kinds, built once per (apiVersion, kind) and reused."""

    def __init__(self, kubernetes_version: str = KUBERNETES_VERSION) -> None:
        wanted = kv.major_minor(kubernetes_version.removeprefix("v"))
        available = [v for v in kv.all_versions() if kv.major_minor(v) <= wanted]
        if not available or kv.major_minor(kubernetes_version) > kv.latest_version():
            raise ValueError(f"kubernetes-validate has no schemas for Kubernetes {kubernetes_version}")
        self.version = available[-1]
        self.minor = kv.major_minor(self.version)
        self._folder = f"kubernetes-json-schema/v{self.version}-local-strict"
        self._registry: Registry[Any] | None = None
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator | None] = {}

    def errors(self, body: dict[str, Any]) -> list[str] | None:
        """Problems with `body`, [] when valid, None when this Kubernetes version has no such kind."""
        validator = self._validator(str(body.get("apiVersion", "")), str(body.get("kind", "")))
        if validator is None:
            return None
        found = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
        return [_describe(error) for error in found[:MAX_ERRORS_PER_DOCUMENT]]

    def _validator(self, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
        key = (api_version, kind)
        if key not in self._validators:
            self._validators[key] = self._build(api_version, kind)
        return self._validators[key]

    def _build(self, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
        # kubernetes-validate's file naming: rbac.authorization.k8s.io/v1 -> rbac-v1; v1 stays v1.
        short = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        try:
            schema = kv.schema_contents(f"{self._folder}/{kind.lower()}-{short}.json", self.version)
        except FileNotFoundError:
            return None
        if self._registry is None:
            definitions = kv.schema_contents(f"{self._folder}/_definitions.json", self.version)
            self._registry = Resource.from_contents(definitions) @ Registry()
        registry = Resource.from_contents(schema) @ self._registry
        validator: jsonschema.protocols.Validator = jsonschema.validators.Draft202012Validator(
            schema, registry=registry
        )
        return validator


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "(document)"
    message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
    return f"{where}: {message}"
