"""Istio and prometheus-operator kinds, against cloudcoil's generated pydantic models with extra fields forbidden.

The models accept unknown fields by default; `model_validate(..., extra="forbid")` turns every unknown field
into an error, and `by_name=False` stops a snake_case spelling (`export_to`) from passing for `exportTo`.
Model modules are imported on first use only, one version at a time and without their builders (`_import_alone`:
importing them all takes seconds).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pydantic

if TYPE_CHECKING:  # imported by the first model import (`preload`'s thread): its base models take 0.3 s
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
    from cloudcoil.resources import Resource

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


# cloudcoil's builder bases (`Model.Builder`, `Model.ListBuilder`, ...): pydantic models too, three or four per
# model class, none of which validation uses (see `_import_alone`).
BUILDER_BASES = ("BaseBuilder", "BaseModelBuilder", "BuilderContextBase", "GenericListBuilder", "ListBuilderContext")
PRIVATE_PREFIX = "groundwork.check.validate.models."  # where the modules imported here live in sys.modules


class _NoBuilder:
    """Stands in for a cloudcoil builder base while a model module is imported: a plain class (and its
    subscripts, `GenericListBuilder[Model, Builder]`, the same class)."""

    def __class_getitem__(cls, _item: object) -> type[_NoBuilder]:
        return cls


def _import_alone(name: str) -> ModuleType:
    """Import one generated version module (`name`) for validation only, as `PRIVATE_PREFIX + name`:

    - without its package's `__init__`, which imports every other version and group too (cloudcoil's istio
      package builds all of istio's models for `networking.istio.io/v1`; prometheus_operator's builds v1alpha1
      beside v1);
    - without its builders: each model class nests a `Builder`, a `BuilderContext` and a `ListBuilder`, pydantic
      models of their own plus a generic subclass each, about three quarters of the classes pydantic builds.
      While the module runs, cloudcoil's builder bases are plain classes (`_NoBuilder`). A nested class is no
      field of its model, so the models validate exactly as before (tests/check/test_check_models.py compares
      every kind's JSON schema and verdicts with cloudcoil's own import). Measured: 1.45 -> 0.62 CPU-s for the
      four modules a groundwork tree uses.
    The module is kept under a private name, so an ordinary `import cloudcoil.models...` elsewhere in the same
    process still gets cloudcoil's own module, builders and all."""
    private = PRIVATE_PREFIX + name
    with _IMPORTING:
        if private in sys.modules:
            return sys.modules[private]
        root, _, rest = name.partition(".models.")
        base = importlib.import_module(f"{root}.models")
        path = Path(next(iter(base.__path__))).joinpath(*rest.split(".")).with_suffix(".py")
        spec = importlib.util.spec_from_file_location(private, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise ImportError(f"no module {name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[private] = module  # pydantic resolves the module's annotations through sys.modules
        bases = importlib.import_module(f"{root}.pydantic")
        saved = {attribute: getattr(bases, attribute) for attribute in BUILDER_BASES if hasattr(bases, attribute)}
        try:
            for attribute in saved:
                setattr(bases, attribute, type(attribute, (_NoBuilder,), {}))
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[private]
            raise
        finally:
            for attribute, value in saved.items():
                setattr(bases, attribute, value)
        return module


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "(document)"
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        message = "unknown field (not in the schema)"
    return f"{where}: {message}"
