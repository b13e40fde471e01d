"""Istio and prometheus-operator kinds, against cloudcoil's generated pydantic models with extra fields forbidden.

The models accept unknown fields by default; `model_validate(..., extra="forbid")` turns every unknown field
into an error, and `by_name=False` stops a snake_case spelling (`export_to`) from passing for `exportTo`.
Model modules are imported on first use only (importing them all takes seconds).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
from cloudcoil.resources import Resource

MAX_ERRORS_PER_DOCUMENT = 5

# API group -> the cloudcoil package holding one module per version (e.g. `...istio.networking.v1`).
GROUP_PACKAGES = {
    "networking.istio.io": "cloudcoil.models.istio.networking",
    "security.istio.io": "cloudcoil.models.istio.security",
    "telemetry.istio.io": "cloudcoil.models.istio.telemetry",
    "extensions.istio.io": "cloudcoil.models.istio.extensions",
    "monitoring.coreos.com": "cloudcoil.models.prometheus_operator",
}


# What a groundwork tree uses: imported ahead (see `preload`) while kustomize renders.
COMMON_API_VERSIONS = (
    "networking.istio.io/v1",
    "security.istio.io/v1",
    "telemetry.istio.io/v1",
    "monitoring.coreos.com/v1",
)


def preload() -> None:
    """Import the commonly used model modules (seconds of pydantic class building) so that a background
    thread can pay for it while the main thread waits on subprocesses."""
    for api_version in COMMON_API_VERSIONS:
        _load(api_version)


def handles(api_version: str) -> bool:
    return api_version.split("/", 1)[0] in GROUP_PACKAGES and "/" in api_version


class ModelSchemas:
    """Finds the cloudcoil model for an (apiVersion, kind) and validates documents with it."""

    def __init__(self) -> None:
        self._modules: dict[str, dict[str, type[Resource]]] = {}

    def errors(self, body: dict[str, Any]) -> list[str] | None:
        """Problems with `body`, [] when valid, None when no model exists for its apiVersion and kind."""
        api_version = str(body.get("apiVersion", ""))
        model = self._kinds(api_version).get(str(body.get("kind", "")))
        if model is None:
            return None
        try:
            model.model_validate(body, extra="forbid", by_alias=True, by_name=False)
        except pydantic.ValidationError as error:
            return [_describe(item) for item in error.errors()[:MAX_ERRORS_PER_DOCUMENT]]
        return []

    def _kinds(self, api_version: str) -> dict[str, type[Resource]]:
        if api_version not in self._modules:
            self._modules[api_version] = _load(api_version)
        return self._modules[api_version]


def _load(api_version: str) -> dict[str, type[Resource]]:
    group, _, version = api_version.partition("/")
    package = GROUP_PACKAGES.get(group)
    if package is None or not version.isidentifier():
        return {}
    try:
        module = _import_alone(f"{package}.{version}")
    except ImportError:
        return {}
    kinds: dict[str, type[Resource]] = {}
    for _, member in inspect.getmembers(module, inspect.isclass):
        if issubclass(member, Resource) and member.__module__ == module.__name__:
            gvk = member.gvk()
            if gvk.api_version == api_version and gvk.kind:
                kinds[gvk.kind] = member
    return kinds


_IMPORTING = threading.Lock()


def _import_alone(name: str) -> ModuleType:
    """Import one generated version module without its package's `__init__`, which imports every other
    version and group too (cloudcoil's istio package builds all of istio's models for `networking.istio.io/v1`;
    prometheus_operator's builds v1alpha1 beside v1): a second or more of pydantic class building saved.
    A later import of the package itself finds this module in sys.modules and reuses it."""
    with _IMPORTING:
        if name in sys.modules:
            return sys.modules[name]
        root, _, rest = name.partition(".models.")
        base = importlib.import_module(f"{root}.models")
        path = Path(next(iter(base.__path__))).joinpath(*rest.split(".")).with_suffix(".py")
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise ImportError(f"no module {name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "(document)"
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        message = "unknown field (not in the schema)"
    return f"{where}: {message}"
