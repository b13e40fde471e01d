"""Which rendered targets a set of changed files can affect: a service's every environment when anything of
gitops/apps/<service>/ changed, and every target of another top-level folder (bootstrap, addons) that changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from groundwork.paths import APPS_DIR, GITOPS_DIR


@dataclass(frozen=True)
class Scope:
    apps: frozenset[str]
    folders: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.apps and not self.folders

    def covers(self, app: str, service: bool) -> bool:
        return app in self.apps if service else app in self.folders


def scope_of(paths: Iterable[str]) -> Scope:
    apps: set[str] = set()
    folders: set[str] = set()
    for path in paths:
        parts = path.split("/")
        if len(parts) < 3 or parts[0] != GITOPS_DIR:
            continue  # files directly under gitops/ (README) render nothing
        if parts[1] == APPS_DIR:
            if len(parts) >= 4:
                apps.add(parts[2])
        else:
            folders.add(parts[1])
    return Scope(frozenset(apps), frozenset(folders))
