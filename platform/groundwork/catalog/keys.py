"""The keys Backstage's entity schemas define, so a typo (`consumesAPIs`) is reported as that key with its
file:line and the closest known key, not only through its symptom (a call graph missing an edge)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from groundwork.catalog.yamlines import Document

TOP = frozenset({"apiVersion", "kind", "metadata", "spec", "relations", "status"})
METADATA = frozenset(
    {"name", "namespace", "title", "description", "labels", "annotations", "tags", "links", "uid", "etag"}
)
_OWNED = {"type", "lifecycle", "owner", "system"}
SPEC: Mapping[str, frozenset[str]] = {
    "Component": frozenset(_OWNED | {"subcomponentOf", "providesApis", "consumesApis", "dependsOn", "dependencyOf"}),
    "API": frozenset(_OWNED | {"definition"}),
    "Resource": frozenset({"type", "owner", "system", "dependsOn", "dependencyOf"}),
    "Group": frozenset({"type", "profile", "parent", "children", "members"}),
    "User": frozenset({"profile", "memberOf"}),
    "Domain": frozenset({"owner", "subdomainOf", "type"}),
    "System": frozenset({"owner", "domain", "type"}),
    "Location": frozenset({"type", "target", "targets", "presence"}),
}


def check_keys(document: Document, kind: str, data: Mapping[str, object]) -> None:
    """Raise the document's `file:line` error for the first key no Backstage schema of `kind` defines."""
    _check(document, data, TOP, ())
    metadata = data.get("metadata")
    if isinstance(metadata, Mapping):
        _check(document, metadata, METADATA, ("metadata",))
    spec = data.get("spec")
    if isinstance(spec, Mapping) and kind in SPEC:
        _check(document, spec, SPEC[kind], ("spec",))


def _check(document: Document, mapping: Mapping[Any, object], known: frozenset[str], path: tuple[str, ...]) -> None:
    for key in mapping:
        if str(key) in known:
            continue
        near = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
        if not near:
            lowered = {k.lower(): k for k in known}
            near = [lowered[str(key).lower()]] if str(key).lower() in lowered else []
        shown = ".".join((*path, str(key)))
        fix = f"did you mean '{near[0]}'?" if near else f"known keys: {', '.join(sorted(known))}"
        raise document.error(f"unknown key '{shown}'", *path, str(key), fix=fix)
