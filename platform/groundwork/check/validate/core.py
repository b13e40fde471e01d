"""Kubernetes' own kinds, against the pinned Kubernetes version's strict schemas (unknown fields rejected).

The schemas and their lookup are kubernetes-validate's (`kubernetes_validate.utils`), the same files its
`validate(..., strict=True)` reads; what this module adds is caching: kubernetes-validate parses the 1.8 MB
definitions file on every call, which would dominate a run over thousands of documents. It also judges each
distinct document once: the same document in several overlays, or in several services with only the service's
own name differing (`name`), where renaming cannot change the verdict (see `CoreSchemas.errors`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
from kubernetes_validate import utils as kv  # type: ignore[import-untyped]
from referencing import Registry, Resource

from groundwork.check.rules.canonical import PLACEHOLDER, rename

# The Kubernetes minor the platform's clusters run; the schemas are the newest kubernetes-validate ships for it.
KUBERNETES_VERSION = "1.37.0"
MAX_ERRORS_PER_DOCUMENT = 5

_CORE_GROUP = re.compile(r"^([a-z0-9]+|[a-z0-9.-]+\.k8s\.io)$")
_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


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
        # The property names and enum values of every definition, and of each kind's own schema, one a line.
        self._words: str | None = None
        self._kind_words: dict[tuple[str, str], str] = {}
        # (apiVersion, kind, the document as JSON, its service's name taken out) -> its errors, and that name
        self._verdicts: dict[tuple[str, str, str], tuple[list[_Error], str | None]] = {}

    def errors(self, body: dict[str, Any], name: str | None = None) -> list[str] | None:
        """Problems with `body`, [] when valid, None when this Kubernetes version has no such kind. `name` is the
        service whose document it is: documents that differ only by that name are validated once.

        Sound because the strict schemas constrain a string only by its type and by `enum` (formats are not
        asserted, no pattern or length limits, no rule relates two fields), and objects by their property names:
        a name that is no whole word of a property name or an enum value can be renamed without changing a
        verdict."""
        api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
        validator = self._validator(api_version, kind)
        if validator is None:
            return None
        if not _plain(body):  # a YAML timestamp, a number as a key: JSON text would not tell it apart
            return _sorted([_Error.of(e) for e in validator.iter_errors(body)])
        text = json.dumps(body, sort_keys=True, ensure_ascii=False)
        nameable = name is not None and PLACEHOLDER not in text and self._nameable(name, api_version, kind)
        shared = name if nameable else None
        key = (api_version, kind, _rename_json(text, shared) if shared else text)
        if key not in self._verdicts:
            self._verdicts[key] = ([_Error.of(e) for e in validator.iter_errors(body)], shared)
        found, judged_as = self._verdicts[key]
        if judged_as is not None and name is not None and judged_as != name:
            found = [error.renamed(judged_as, name) for error in found]
        return _sorted(found)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (one CoreSchemas per run)
    def _nameable(self, name: str, api_version: str, kind: str) -> bool:
        """Whether `name` can be taken out of a document of a kind (that has a validator)."""
        if not _DNS_LABEL.fullmatch(name):
            return False
        if self._words is None:
            definitions = kv.schema_contents(f"{self._folder}/_definitions.json", self.version)
            self._words = "\n".join(sorted(set(_schema_words(definitions))))
        if (api_version, kind) not in self._kind_words:
            validator = self._validators[(api_version, kind)]
            words = set(_schema_words(validator.schema if validator else {}))
            self._kind_words[(api_version, kind)] = "\n".join(sorted(words))
        found = _whole_word(name)  # a line break ends a word as any other separator does
        return not found.search(self._words) and not found.search(self._kind_words[(api_version, kind)])

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


class _Error:
    """One schema error: where (the path's parts) and what."""

    __slots__ = ("message", "path")

    def __init__(self, path: list[str], message: str) -> None:
        self.path, self.message = path, message

    @classmethod
    def of(cls, error: jsonschema.ValidationError) -> _Error:
        return cls([str(part) for part in error.absolute_path], error.message)

    def renamed(self, old: str, new: str) -> _Error:
        return _Error([rename(part, old, new) for part in self.path], rename(self.message, old, new))

    def describe(self) -> str:
        where = ".".join(self.path) or "(document)"
        message = self.message if len(self.message) <= 300 else self.message[:297] + "..."
        return f"{where}: {message}"


def _sorted(found: list[_Error]) -> list[str]:
    return [error.describe() for error in sorted(found, key=lambda e: e.path)[:MAX_ERRORS_PER_DOCUMENT]]


def _plain(value: Any) -> bool:
    """Whether `value` is JSON as it is: string keys, and strings, numbers, booleans and null as scalars."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _rename_json(text: str, name: str) -> str:
    """Whole-word `name` replaced in JSON text."""
    return _whole_word(name).sub(PLACEHOLDER, text)


@functools.lru_cache(maxsize=1024)
def _whole_word(name: str) -> re.Pattern[str]:
    """`name` not inside a longer word, and never right after a backslash (inside a JSON escape)."""
    return re.compile(rf"(?<![A-Za-z0-9_\\]){re.escape(name)}(?![A-Za-z0-9_])")


def _schema_words(schema: Any) -> Iterator[str]:
    """The property names and enum values of a schema: the strings a document's words are compared with."""
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            yield from properties
        for value in schema.get("enum") or ():
            if isinstance(value, str):
                yield value
        for value in schema.values():
            yield from _schema_words(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _schema_words(value)
