"""The services' GitOps entries (`gitops/apps/<service>/`), read statically: the deploy answers, the YAML
documents of base/, overlays/ and components/, the container's environment per overlay, the kustomization's
labels. A malformed file stops the report with `file:line: problem`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from groundwork.catalog.errors import CatalogError
from groundwork.catalog.load import shown_path
from groundwork.catalog.yamlines import Document, load_documents
from groundwork.parsed import as_list, as_mapping
from groundwork.paths import ANSWERS_FILE, APPS_DIR, BASE_DIR, CATALOG_FILE, GITOPS_DIR, KUSTOMIZATION, OVERLAYS_DIR

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Setting:
    """One environment variable of the container, and where it is written."""

    value: str | None
    where: str


@dataclass(frozen=True)
class Found:
    """A YAML document of the entry and the file it is in."""

    file: str
    document: Document

    @property
    def body(self) -> Mapping[str, Any]:
        data = self.document.data
        return data if isinstance(data, Mapping) else {}

    @property
    def kind(self) -> str:
        return str(self.body.get("kind") or "")

    def where(self, *path: str | int) -> str:
        return f"{self.file}:{self.document.line_of(*path)}"


@dataclass
class Entry:
    """One service's GitOps entry."""

    root: Path
    name: str
    folder: Path
    answers_doc: Document

    @property
    def shown(self) -> str:
        return shown_path(self.root, self.folder)

    def rel(self, *parts: str) -> str:
        return "/".join([self.shown, *parts])

    @property
    def answers(self) -> Mapping[str, Any]:
        data = self.answers_doc.data
        return data if isinstance(data, Mapping) else {}

    def answer(self, key: str) -> Any:
        return self.answers.get(key)

    def answer_where(self, key: str) -> str:
        return f"{self.answers_doc.shown}:{self.answers_doc.line_of(key)}"

    @cached_property
    def documents(self) -> list[Found]:
        """Every YAML document of base/, overlays/ and components/ (the catalog descriptor excluded)."""
        found: list[Found] = []
        for file in sorted(self.folder.rglob("*")):
            if not file.is_file() or file.suffix not in YAML_SUFFIXES or file.name == CATALOG_FILE:
                continue
            if any(part.startswith(".") for part in file.relative_to(self.folder).parts):
                continue
            shown = shown_path(self.root, file)
            found += [Found(shown, document) for document in load_documents(file, shown)]
        return found

    def in_folder(self, *parts: str) -> list[Found]:
        prefix = self.rel(*parts) + "/"
        return [found for found in self.documents if found.file.startswith(prefix)]

    def of_kind(self, kind: str, *parts: str) -> list[Found]:
        return [found for found in (self.in_folder(*parts) if parts else self.documents) if found.kind == kind]

    def kustomization(self, *parts: str) -> Found | None:
        wanted = self.rel(*parts, KUSTOMIZATION)
        return next((found for found in self.documents if found.file == wanted), None)

    @property
    def overlays(self) -> list[str]:
        folder = self.folder / OVERLAYS_DIR
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / KUSTOMIZATION).is_file())

    def resources(self, *parts: str) -> list[str]:
        """The `resources` a kustomization lists (empty when it has none)."""
        found = self.kustomization(*parts)
        return [str(r) for r in as_list(found.body.get("resources"))] if found else []

    def labels(self, *parts: str) -> dict[str, tuple[str, str]]:
        """label -> (value, where) of a kustomization's `labels[].pairs` and `commonLabels`."""
        found = self.kustomization(*parts)
        if found is None:
            return {}
        labels: dict[str, tuple[str, str]] = {}
        for index, group in enumerate(as_list(found.body.get("labels"))):
            for key, value in as_mapping(as_mapping(group).get("pairs")).items():
                labels[str(key)] = (str(value), found.where("labels", index, "pairs", str(key)))
        for key, value in as_mapping(found.body.get("commonLabels")).items():
            labels[str(key)] = (str(value), found.where("commonLabels", str(key)))
        return labels

    def container_env(self, overlay: str | None = None) -> dict[str, Setting]:
        """The service container's environment in base/, with an overlay's Deployment patches applied."""
        env: dict[str, Setting] = {}
        folders = [(BASE_DIR,)] + ([(OVERLAYS_DIR, overlay)] if overlay else [])
        for parts in folders:
            for found in self.of_kind("Deployment", *parts):
                for container_path, container in _containers(found.body, self.name):
                    for index, variable in enumerate(as_list(container.get("env"))):
                        variable = as_mapping(variable)
                        name = variable.get("name")
                        if not isinstance(name, str):
                            continue
                        value = variable.get("value")
                        where = found.where(*container_path, "env", index)
                        env[name] = Setting(None if value is None else str(value), where)
        return env

    def probes(self) -> dict[str, tuple[str, str]]:
        """probe kind (startupProbe, livenessProbe, readinessProbe) -> (HTTP path, where) in base/."""
        probes: dict[str, tuple[str, str]] = {}
        for found in self.of_kind("Deployment", BASE_DIR):
            for container_path, container in _containers(found.body, self.name):
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    path = as_mapping(as_mapping(container.get(probe)).get("httpGet")).get("path")
                    if isinstance(path, str):
                        probes[probe] = (path, found.where(*container_path, probe))
        return probes


def load_entries(root: Path) -> list[Entry]:
    """Every `gitops/apps/<service>/` holding deploy answers, by name."""
    apps = root / GITOPS_DIR / APPS_DIR
    if not apps.is_dir():
        return []
    entries: list[Entry] = []
    for folder in sorted(p for p in apps.iterdir() if p.is_dir() and (p / ANSWERS_FILE).is_file()):
        shown = shown_path(root, folder / ANSWERS_FILE)
        documents = load_documents(folder / ANSWERS_FILE, shown)
        if not documents or not isinstance(documents[0].data, Mapping):
            raise CatalogError(shown, 1, "is not a mapping of template answers", "re-render it with 'copier update'")
        name = documents[0].data.get("service_name")
        entries.append(Entry(root, str(name) if isinstance(name, str) else folder.name, folder, documents[0]))
    return entries


def _containers(body: Mapping[str, Any], service: str) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    """The service's container (named after it, else the first) with its path in the document."""
    containers = as_list(
        as_mapping(as_mapping(as_mapping(body.get("spec")).get("template")).get("spec")).get("containers")
    )
    named = [i for i, c in enumerate(containers) if as_mapping(c).get("name") == service]
    for index in named or ([0] if containers else []):
        yield ("spec", "template", "spec", "containers", index), as_mapping(containers[index])
