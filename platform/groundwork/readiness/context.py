"""Everything the checks read, loaded once per run and passed to every item."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from groundwork.catalog.codeowners import CodeOwners
from groundwork.catalog.entities import Component, Group
from groundwork.catalog.graph import CallGraph
from groundwork.catalog.load import Catalog, shown_path
from groundwork.readiness.entries import Entry
from groundwork.readiness.probes import RepoFiles
from groundwork.readiness.service_repos import ServiceRepos
from groundwork.readiness.stacks import StackBuild


@dataclass
class Context:
    root: Path
    catalog: Catalog
    graph: CallGraph
    entries: list[Entry]
    repos: ServiceRepos
    codeowners: CodeOwners | None
    service_components: Mapping[str, list[Component]]  # each service repository's own catalog-info.yaml
    service_codeowners: Mapping[str, CodeOwners | None]
    state_dir: Path
    stacks: Callable[[], Mapping[str, StackBuild]]
    _files: dict[str, RepoFiles] = field(default_factory=dict)

    def shown(self, path: Path) -> str:
        return shown_path(self.root, path)

    def repo_path(self, service: str) -> Path:
        return self.repos.paths[service]

    def repo_shown(self, service: str, *parts: str) -> str:
        return self.repos.shown(service, self.repo_path(service).joinpath(*parts))

    def repo_files(self, service: str) -> RepoFiles:
        if service not in self._files:
            self._files[service] = RepoFiles(self.repo_path(service), self.repos.runtime)
        return self._files[service]

    def owner(self, service: str) -> str | None:
        """The owning Group's name, from the service's Component in the catalog."""
        component = self.catalog.component(service)
        return component.owner.name if component and component.owner else None

    def team_of_record(self, entry: Entry) -> str | None:
        """The owner the catalog names, else the one the deploy answers name."""
        answer = entry.answer("owner_team")
        return self.owner(entry.name) or (str(answer) if answer else None)

    def group(self, name: str) -> Group | None:
        return next((g for ref, g in self.catalog.groups.items() if ref.name == name), None)

    def team_for_handle(self, handle: str) -> str:
        """A CODEOWNERS owner as a team name: `@acme/team-x` -> the Group with that GitHub team (or `team-x`)."""
        bare = handle.lstrip("@")
        if "/" not in bare:
            return f"user:{bare}"
        for group in self.catalog.groups.values():
            if group.team_slug == bare:
                return group.name
        return bare.split("/", 1)[1]
