"""Load the catalog the way Backstage would: start at the repository's root catalog-info.yaml (a Location) and
follow its targets, relative to the file that names them, into Groups, Users, Domains, Systems, Components
and APIs.

A second definition of the same Group, User, Domain, System, API or Location is a conflict Backstage refuses
(one line, both places). Two Component descriptors for one service are kept: they are two ownership claims,
which the readiness checks compare.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from groundwork.catalog.entities import (
    Api,
    Component,
    Domain,
    Entity,
    Group,
    Location,
    Ref,
    System,
    User,
    Where,
    parse_entity,
)
from groundwork.catalog.errors import CatalogError
from groundwork.catalog.yamlines import load_documents
from groundwork.paths import APPS_DIR, CATALOG_FILE, GITOPS_DIR

CATALOG_DIR = "catalog"
_REMOTE = ("http://", "https://", "url:")


@dataclass
class Catalog:
    """Everything the root Location reaches. `files` are the located files, relative to `root`."""

    root: Path
    files: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    remote_targets: list[tuple[str, Where]] = field(default_factory=list)

    def _of(self, kind: type[Entity]) -> list[Entity]:
        return [entity for entity in self.entities if type(entity) is kind]

    @property
    def components(self) -> dict[str, list[Component]]:
        """Component name -> every descriptor of it: the one its GitOps entry renders first, then load order."""
        found: dict[str, list[Component]] = defaultdict(list)
        for entity in self.entities:
            if isinstance(entity, Component):
                found[entity.name].append(entity)
        return {name: sorted(descriptors, key=_entry_first) for name, descriptors in found.items()}

    @property
    def groups(self) -> dict[Ref, Group]:
        return {e.ref: e for e in self.entities if isinstance(e, Group)}

    @property
    def users(self) -> dict[Ref, User]:
        return {e.ref: e for e in self.entities if isinstance(e, User)}

    @property
    def domains(self) -> dict[Ref, Domain]:
        return {e.ref: e for e in self.entities if isinstance(e, Domain)}

    @property
    def systems(self) -> dict[Ref, System]:
        return {e.ref: e for e in self.entities if isinstance(e, System)}

    @property
    def apis(self) -> dict[Ref, Api]:
        return {e.ref: e for e in self.entities if isinstance(e, Api)}

    def component(self, name: str) -> Component | None:
        """The descriptor of component `name` that counts: its GitOps entry's, else the first one loaded."""
        descriptors = self.components.get(name)
        return descriptors[0] if descriptors else None


def entry_descriptor(service: str) -> str:
    """Where a service's GitOps entry keeps its descriptor, relative to the repository."""
    return f"{GITOPS_DIR}/{APPS_DIR}/{service}/{CATALOG_FILE}"


def _entry_first(component: Component) -> bool:
    return component.where.file != entry_descriptor(component.name)  # False (the entry's own) sorts first


def shown_path(root: Path, file: Path) -> str:
    try:
        return file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(file)


def load_catalog(root: Path) -> Catalog:
    """The catalog located from `root/catalog-info.yaml`; CatalogError (`file:line: problem`) if malformed."""
    start = root / CATALOG_FILE
    if not start.is_file():
        raise CatalogError(
            CATALOG_FILE,
            1,
            "the repository has no root catalog-info.yaml",
            "add a Location whose targets list catalog/",
        )
    catalog = Catalog(root=root)
    seen: dict[Ref, Entity] = {}
    pending = [start]
    visited: set[Path] = set()
    while pending:
        file = pending.pop(0).resolve()
        if file in visited:
            continue
        visited.add(file)
        shown = shown_path(root, file)
        catalog.files.append(shown)
        for document in load_documents(file, shown):
            entity = parse_entity(document)
            if not isinstance(entity, Component):
                earlier = seen.get(entity.ref)
                if earlier is not None:
                    raise CatalogError(
                        shown,
                        entity.where.line,
                        f"{entity.kind} {entity.name} is already defined at {earlier.where}",
                        "keep one definition (Backstage refuses the second as a conflict)",
                    )
                seen[entity.ref] = entity
            catalog.entities.append(entity)
            if isinstance(entity, Location):
                pending += _follow(root, file, entity, catalog)
    return catalog


def _follow(root: Path, file: Path, location: Location, catalog: Catalog) -> list[Path]:
    found: list[Path] = []
    for target, where in location.targets:
        if target.startswith(_REMOTE):
            catalog.remote_targets.append((target, where))
            continue
        relative = target.removeprefix("file:")
        if any(char in relative for char in "*?["):
            found += sorted(path for path in file.parent.glob(relative) if path.is_file())
            continue
        path = (file.parent / relative).resolve()
        if not path.is_relative_to(root.resolve()):
            raise CatalogError(where.file, where.line, f"target {target} points outside the repository")
        if not path.is_file():
            raise CatalogError(
                where.file, where.line, f"target {target} does not exist", "fix the path or remove the target"
            )
        found.append(path)
    return found


def catalog_candidates(root: Path) -> list[str]:
    """Files that should be located: every YAML file under catalog/ and each GitOps entry's catalog-info.yaml."""
    found: list[Path] = []
    folder = root / CATALOG_DIR
    if folder.is_dir():
        found += [p for p in folder.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")]
    apps = root / GITOPS_DIR / APPS_DIR
    if apps.is_dir():
        found += [p / CATALOG_FILE for p in apps.iterdir() if (p / CATALOG_FILE).is_file()]
    return sorted(shown_path(root, p) for p in found)


def unlocated(catalog: Catalog) -> list[str]:
    """Catalog files the root Location does not reach (Backstage would never read them)."""
    located = set(catalog.files)
    return [file for file in catalog_candidates(catalog.root) if file not in located]
