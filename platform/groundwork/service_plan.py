"""What `groundwork new service` changes in the platform repository besides the new entry, decided before
anything is written: the catalog names it must know, new teams/domains asked for, and the other side of each
declared edge (groundwork.edges). `describe` says it per team, for `--plan` and `--dry-run`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from groundwork.catalog.known import known_names, new_entities, refuse_unknown
from groundwork.catalog.load import load_catalog
from groundwork.edges import EdgePlan, plan_edges, read_answers
from groundwork.errors import GroundworkError
from groundwork.gitorigin import git_origin
from groundwork.paths import ANSWERS_FILE, APPS_DIR, CATALOG_FILE


@dataclass(frozen=True)
class Request:
    name: str
    team: str
    domain: str
    calls: tuple[str, ...]
    consumers: tuple[str, ...]
    new_team: bool = False
    new_domain: bool = False
    org: str = "acme"


@dataclass
class PlatformChange:
    root: Path
    edges: EdgePlan
    appended: dict[Path, str] = field(default_factory=dict)  # catalog file -> new entities' text

    def describe(self, request: Request) -> list[str]:
        lines: list[str] = []
        for file, text in self.appended.items():
            kinds = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("kind:")]
            lines.append(f"platform team: {self._shown(file)} gains {', '.join(kinds)} (new)")
        for change in self.edges.changes:
            files = self.edges.changed_files(change) if change.service in self.edges.rendered else [ANSWERS_FILE]
            shown = ", ".join(f"{self._shown(change.entry)}/{file}" for file in files)
            lines.append(f"{change.team}: {change.service} adds '{request.name}' to {change.question}: {shown}")
        return lines

    def elsewhere(self, request: Request) -> list[str]:
        """What the consumers' own service repositories must do (groundwork cannot write there)."""
        lines = []
        for change in self.edges.changes:
            if change.question == "downstreams":
                listed = ", ".join([*(change.answers.get("downstreams") or []), request.name])
                lines.append(
                    f"{change.team}: in {change.service}'s own repository run "
                    f"copier update --defaults --data 'downstreams=[{listed}]'"
                )
        return lines

    def _shown(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


def plan_platform_change(gitops: Path, request: Request) -> PlatformChange:
    """Refuse unknown names (one line, close matches), then list every change outside the new entry."""
    root = gitops.resolve().parent
    if not (root / CATALOG_FILE).is_file():
        raise GroundworkError(
            f"{root} has no {CATALOG_FILE}, so --team, --domain, --calls and --consumers cannot be checked",
            "run from a groundwork checkout or pass --gitops <platform checkout>/gitops",
        )
    catalog = load_catalog(root)
    apps = gitops / APPS_DIR
    services = [p.name for p in apps.iterdir() if (p / ANSWERS_FILE).is_file()] if apps.is_dir() else []
    known = known_names(catalog, services)
    if request.new_team and request.team in known.teams:
        raise GroundworkError(f"--new-team: team '{request.team}' already exists", "drop --new-team")
    if request.new_domain and request.domain in known.domains:
        raise GroundworkError(f"--new-domain: domain '{request.domain}' already exists", "drop --new-domain")
    if not request.new_team:
        refuse_unknown("--team", request.team, known.teams, "team (Group)", "or --new-team")
    if not request.new_domain:
        refuse_unknown("--domain", request.domain, known.domains, "domain", "or --new-domain")
    if request.name in known.services:
        raise GroundworkError(f"service '{request.name}' is already in {gitops}/{APPS_DIR}", "choose another NAME")
    for option, names in (("--calls", request.calls), ("--consumers", request.consumers)):
        for service in names:
            refuse_unknown(option, service, known.services, "service")
    team = request.team if request.new_team else None
    domain = request.domain if request.new_domain else None
    appended = new_entities(catalog, team, domain, request.team, request.org)
    return PlatformChange(root, plan_edges(apps, request.name, request.calls, request.consumers), appended)


def append_entities(change: PlatformChange) -> None:
    for file, text in change.appended.items():
        current = file.read_text(encoding="utf-8")
        file.write_text(current.rstrip("\n") + "\n" + text, encoding="utf-8")


def template_source(template: str | None, template_root: Path, apps: Path | None, gitops_repo: str) -> str:
    """The `_src_path` a new project records: --template when it is a git URL, else the template checkout's
    remote, else what the platform's entries record, else the GitOps repository on GitHub. Never a path of this
    machine: `copier update` must work from any clone."""
    if template and _is_url(template):
        return template
    origin = git_origin(template_root) or ""
    if _is_url(origin):
        return origin
    entries = [p for p in apps.iterdir() if (p / ANSWERS_FILE).is_file()] if apps is not None and apps.is_dir() else []
    recorded = Counter(str(read_answers(p).get("_src_path") or "") for p in entries)
    remote = [(count, src) for src, count in recorded.items() if _is_url(src)]
    if remote:
        return max(remote)[1]
    return f"gh:{gitops_repo}"


def _is_url(source: str) -> bool:
    return "://" in source or source.startswith(("git@", "gh:", "gl:"))
