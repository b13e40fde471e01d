"""Operator kinds judged against their upstream CRDs' OpenAPI schemas, made strict (unknown fields rejected).

CloudNativePG's kinds (`postgresql.cnpg.io`: Cluster, ...) come from `config/crd/bases/` of its Go module, at the
version `tools.cloudnative_pg` of gitops/versions.yaml pins (the checked repository's, else the groundwork
checkout's; the operator the `cloudnative_pg` chart installs),
fetched once with `go mod download` (`groundwork.sandbox.toolchain`). A CRD schema allows unknown fields wherever
it does not say `additionalProperties`; as the API server prunes them silently, a typo would vanish without a
word, so every object schema with `properties` and without `x-kubernetes-preserve-unknown-fields` is closed here.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from groundwork.errors import GroundworkError, ToolMissing

MAX_ERRORS_PER_DOCUMENT = 5


class CrdSource:
    """Where the CRDs of one API group are: a Go module pinned under `tools:`, a folder and a file pattern in it."""

    def __init__(self, tool: str, folder: str, pattern: str, rule: str) -> None:
        self.tool, self.folder, self.pattern, self.rule = tool, folder, pattern, rule


GROUPS = {
    "postgresql.cnpg.io": CrdSource(
        "cloudnative_pg", "config/crd/bases", "postgresql.cnpg.io_*.yaml", "cloudnative-pg-schema"
    ),
}


def handles(api_version: str) -> bool:
    return api_version.split("/", 1)[0] in GROUPS and "/" in api_version


def rule_for(api_version: str) -> str:
    return GROUPS[api_version.split("/", 1)[0]].rule


def module_dir(tool: str, root: Path | None = None) -> Path:
    """The pinned module's files: the pin of the checked repository `root` when its versions file has one, else
    that of the groundwork checkout the gate runs from (as for helm, `check/helm/stage.py`)."""
    from groundwork.paths import find_template_root
    from groundwork.sandbox.toolchain import Toolchain

    if shutil.which("go") is None:
        raise ToolMissing(
            f"go is needed to read the CRDs of tools.{tool} (gitops/versions.yaml) but is not installed",
            "install Go 1.26 or later (apt-get install golang-go)",
        )
    for repository in [*([root] if root is not None else []), find_template_root()]:
        with contextlib.suppress(GroundworkError):
            toolchain = Toolchain.for_repository(repository)
            if tool in toolchain.pins:
                return toolchain.source_dir(tool)
    raise GroundworkError(f"no versions file pins tools.{tool}", f"add tools.{tool} to gitops/versions.yaml")


def strict(schema: Any) -> Any:
    """A copy of an OpenAPI v3 schema where every object that lists its properties allows no others."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    closed = {key: strict(value) for key, value in schema.items()}
    if (
        "properties" in closed
        and "additionalProperties" not in closed
        and not closed.get("x-kubernetes-preserve-unknown-fields")
    ):
        closed["additionalProperties"] = False
    return closed


def load_crds(folder: Path, pattern: str) -> dict[tuple[str, str], dict[str, Any]]:
    """{(apiVersion, kind): strict schema} for every served version of the CRDs in `folder`."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(folder.glob(pattern)):
        for crd in yaml.load_all(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        ):
            spec = crd.get("spec", {}) if isinstance(crd, dict) else {}
            group, kind = spec.get("group"), spec.get("names", {}).get("kind")
            for version in spec.get("versions", []):
                schema = version.get("schema", {}).get("openAPIV3Schema")
                if version.get("served") and schema:
                    schemas[(f"{group}/{version['name']}", kind)] = strict(schema)
    if not schemas:
        raise GroundworkError(
            f"no CRD matching {pattern} in {folder}", "check the module versions under 'tools:' in gitops/versions.yaml"
        )
    return schemas


class CrdSchemas:
    """Validators for the operator kinds, built on first use (the module is fetched then) and reused."""

    def __init__(self, locate: Callable[[str], Path] = module_dir) -> None:
        """`locate(tool)` is the folder of the pinned module (`module_dir`, or a test's folder)."""
        self._locate = locate
        self._schemas: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._lock = threading.Lock()

    def errors(self, body: dict[str, Any]) -> list[str] | None:
        """Problems with `body`, [] when valid, None when its group's CRDs have no such kind."""
        api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
        validator = self._validator(api_version, kind)
        if validator is None:
            return None
        found = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
        return [_describe(error) for error in found[:MAX_ERRORS_PER_DOCUMENT]]

    def _validator(self, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
        group = api_version.split("/", 1)[0]
        with self._lock:
            if group not in self._schemas:
                source = GROUPS[group]
                self._schemas[group] = load_crds(self._locate(source.tool) / source.folder, source.pattern)
            key = (api_version, kind)
            if key not in self._validators:
                schema = self._schemas[group].get(key)
                if schema is None:
                    return None
                self._validators[key] = jsonschema.validators.Draft7Validator(schema)
            return self._validators[key]


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "(document)"
    message = error.message
    instance, schema = error.instance, error.schema
    if error.validator == "additionalProperties" and isinstance(instance, dict) and isinstance(schema, Mapping):
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        if extra:
            where = ".".join([*(str(p) for p in error.absolute_path), extra[0]])
            message = "unknown field (not in the schema)"
    message = message if len(message) <= 300 else message[:297] + "..."
    return f"{where}: {message}"
