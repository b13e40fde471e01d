"""Backstage entities as groundwork reads them: the fields the catalog checks use, each with where it is written.

Parsing is strict about form and lenient about content. A document that is not a Backstage entity (no
`apiVersion: backstage.io/...`, no kind or name, a field of the wrong type, an unreadable entity reference)
fails with `file:line`; a missing owner, system or on-call contact is left empty for the readiness checks to
report against the service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from groundwork.catalog.asyncapi import ASYNCAPI, NotAsyncApi, channel_addresses
from groundwork.catalog.keys import check_keys
from groundwork.catalog.yamlines import Document

API_VERSION_PREFIX = "backstage.io/"
DEFAULT_NAMESPACE = "default"
KINDS = ("Component", "API", "Group", "User", "Domain", "System", "Location", "Resource", "Template")
# Backstage's rule for metadata.name (FieldFormatEntityPolicy): 1-63 characters of [a-zA-Z0-9] separated by
# single '-', '_' or '.'.
_NAME = re.compile(r"^([A-Za-z0-9]+[-_.])*[A-Za-z0-9]+$")
_REF = re.compile(r"^(?:(?P<kind>[A-Za-z][A-Za-z0-9]*):)?(?:(?P<namespace>[^:/\s]+)/)?(?P<name>[^:/\s]+)$")

ON_CALL = "groundwork.dev/on-call"
PLATFORM_SUPPORTED = "groundwork.dev/platform-supported"
PUBLIC_HOST = "groundwork.dev/public-host"
DOMAIN_ANNOTATION = "groundwork.dev/domain"
TEAM_SLUG = "github.com/team-slug"


@dataclass(frozen=True)
class Where:
    """A place in a file: shown as `file:line`."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, order=True)
class Ref:
    """An entity reference, `kind:namespace/name`, kind lower-case as Backstage compares them."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        namespace = "" if self.namespace == DEFAULT_NAMESPACE else f"{self.namespace}/"
        return f"{self.kind}:{namespace}{self.name}"


@dataclass(frozen=True)
class Entity:
    kind: str
    name: str
    namespace: str
    where: Where
    annotations: Mapping[str, str]
    document: Document = field(repr=False, compare=False)

    @property
    def ref(self) -> Ref:
        return Ref(self.kind.lower(), self.namespace, self.name)

    def at(self, *path: str | int) -> Where:
        """Where `path` (e.g. `"spec", "owner"`) is written, or the nearest thing above it."""
        return Where(self.where.file, self.document.line_of(*path))


@dataclass(frozen=True)
class Component(Entity):
    type: str | None = None
    owner: Ref | None = None
    system: Ref | None = None
    provides_apis: tuple[Ref, ...] = ()
    consumes_apis: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class Api(Entity):
    owner: Ref | None = None
    system: Ref | None = None
    type: str | None = None
    topics: tuple[str, ...] = ()  # an asyncapi API's channel addresses: the topics it declares


@dataclass(frozen=True)
class Group(Entity):
    type: str | None = None
    parent: Ref | None = None
    members: tuple[Ref, ...] = ()
    email: str | None = None

    @property
    def on_call(self) -> str | None:
        value = self.annotations.get(ON_CALL, "").strip()
        return value or None

    @property
    def platform_supported(self) -> bool:
        return self.annotations.get(PLATFORM_SUPPORTED, "").strip().lower() == "true"

    @property
    def team_slug(self) -> str | None:
        return self.annotations.get(TEAM_SLUG) or None


@dataclass(frozen=True)
class User(Entity):
    member_of: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class Domain(Entity):
    owner: Ref | None = None


@dataclass(frozen=True)
class System(Entity):
    owner: Ref | None = None
    domain: Ref | None = None


@dataclass(frozen=True)
class Location(Entity):
    targets: tuple[tuple[str, Where], ...] = ()


def parse_ref(value: str, default_kind: str, namespace: str) -> Ref | None:
    match = _REF.match(value.strip())
    if not match:
        return None
    return Ref((match["kind"] or default_kind).lower(), match["namespace"] or namespace, match["name"])


def parse_entity(document: Document) -> Entity:
    """The entity in `document`; a CatalogError naming the line for anything Backstage would not accept."""
    data = document.data
    if not isinstance(data, Mapping):
        raise document.error("is not a Backstage entity (a YAML mapping with apiVersion, kind and metadata)")
    api_version = data.get("apiVersion")
    if not isinstance(api_version, str) or not api_version.startswith(API_VERSION_PREFIX):
        raise document.error(
            f"apiVersion {api_version!r} is not a Backstage one", "apiVersion", fix="use backstage.io/v1alpha1"
        )
    kind = data.get("kind")
    if kind not in KINDS:
        raise document.error(f"kind {kind!r} is not a Backstage kind", "kind", fix=f"use one of {', '.join(KINDS)}")
    check_keys(document, str(kind), data)
    metadata = _mapping(document, data, "metadata", required=True)
    name = metadata.get("name")
    if not isinstance(name, str) or len(name) > 63 or not _NAME.match(name):
        raise document.error(
            f"metadata.name {name!r} is not a Backstage entity name",
            "metadata",
            "name",
            fix="use 1-63 letters, digits and single '-', '_' or '.' between them",
        )
    namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
    if not isinstance(namespace, str) or not _NAME.match(namespace):
        raise document.error(f"metadata.namespace {namespace!r} is not valid", "metadata", "namespace")
    annotations = _string_map(document, metadata, ("metadata", "annotations"))
    spec = _mapping(document, data, "spec", required=True)
    base = {
        "kind": kind,
        "name": name,
        "namespace": namespace,
        "where": Where(document.shown, document.line),
        "annotations": annotations,
        "document": document,
    }
    parse = _Spec(document, spec, namespace)
    if kind == "Component":
        return Component(
            **base,
            type=parse.string("type"),
            owner=parse.ref("owner", "group"),
            system=parse.ref("system", "system"),
            provides_apis=parse.refs("providesApis", "api"),
            consumes_apis=parse.refs("consumesApis", "api"),
        )
    if kind == "API":
        api_type = parse.string("type")
        topics: tuple[str, ...] = ()
        if api_type == ASYNCAPI:
            try:
                topics = channel_addresses(spec.get("definition"))
            except NotAsyncApi as error:
                raise document.error(f"spec.definition of an asyncapi API {error}", "spec", "definition") from None
        owner, system = parse.ref("owner", "group"), parse.ref("system", "system")
        return Api(**base, owner=owner, system=system, type=api_type, topics=topics)
    if kind == "Group":
        profile = _mapping(document, spec, "profile", required=False, path=("spec",))
        email = profile.get("email")
        if email is not None and not isinstance(email, str):
            raise document.error("spec.profile.email is not a string", "spec", "profile", "email")
        return Group(
            **base,
            type=parse.string("type"),
            parent=parse.ref("parent", "group"),
            members=parse.refs("members", "user"),
            email=email,
        )
    if kind == "User":
        return User(**base, member_of=parse.refs("memberOf", "group"))
    if kind == "Domain":
        return Domain(**base, owner=parse.ref("owner", "group"))
    if kind == "System":
        return System(**base, owner=parse.ref("owner", "group"), domain=parse.ref("domain", "domain"))
    if kind == "Location":
        return Location(**base, targets=_targets(document, spec))
    return Entity(**base)


class _Spec:
    """Typed reads of `spec` fields, failing at the field's line."""

    def __init__(self, document: Document, spec: Mapping[str, object], namespace: str) -> None:
        self.document = document
        self.spec = spec
        self.namespace = namespace

    def string(self, key: str) -> str | None:
        value = self.spec.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.document.error(f"spec.{key} is not a string", "spec", key)
        return value

    def ref(self, key: str, default_kind: str) -> Ref | None:
        value = self.string(key)
        if value is None or not value.strip():
            return None
        return self._parse(value, default_kind, "spec", key)

    def refs(self, key: str, default_kind: str) -> tuple[Ref, ...]:
        value = self.spec.get(key)
        if value is None:
            return ()
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise self.document.error(f"spec.{key} is not a list of entity references", "spec", key)
        refs: list[Ref] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.document.error(f"spec.{key}[{index}] is not an entity reference", "spec", key, index)
            refs.append(self._parse(item, default_kind, "spec", key, index))
        return tuple(refs)

    def _parse(self, value: str, default_kind: str, *path: str | int) -> Ref:
        parsed = parse_ref(value, default_kind, self.namespace)
        if parsed is None:
            shown = ".".join(str(part) for part in path)
            raise self.document.error(
                f"{shown} {value!r} is not an entity reference", *path, fix="write [kind:][namespace/]name"
            )
        return parsed


def _mapping(
    document: Document, parent: Mapping[str, object], key: str, *, required: bool, path: tuple[str, ...] = ()
) -> Mapping[str, object]:
    value = parent.get(key)
    if value is None:
        if required:
            raise document.error(f"{'.'.join((*path, key))} is missing", *path)
        return {}
    if not isinstance(value, Mapping):
        raise document.error(f"{'.'.join((*path, key))} is not a mapping", *path, key)
    return value


def _string_map(document: Document, metadata: Mapping[str, object], path: tuple[str, str]) -> dict[str, str]:
    value = metadata.get(path[1])
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise document.error(f"{'.'.join(path)} is not a mapping", *path)
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise document.error(
                f"{'.'.join(path)}['{key}'] is not a string", *path, str(key), fix='quote it, e.g. "true"'
            )
        result[str(key)] = item
    return result


def _targets(document: Document, spec: Mapping[str, object]) -> tuple[tuple[str, Where], ...]:
    found: list[tuple[str, Where]] = []
    single = spec.get("target")
    if single is not None:
        if not isinstance(single, str):
            raise document.error("spec.target is not a string", "spec", "target")
        found.append((single, Where(document.shown, document.line_of("spec", "target"))))
    many = spec.get("targets")
    if many is not None:
        if not isinstance(many, Sequence) or isinstance(many, str):
            raise document.error("spec.targets is not a list", "spec", "targets")
        for index, item in enumerate(many):
            if not isinstance(item, str):
                raise document.error(f"spec.targets[{index}] is not a string", "spec", "targets", index)
            found.append((item, Where(document.shown, document.line_of("spec", "targets", index))))
    return tuple(found)
