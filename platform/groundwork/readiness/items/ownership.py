"""Item 4, developers own deployment: exactly one team owns each service, wherever ownership is written
(Component descriptors, CODEOWNERS of both repositories, the Kubernetes owner label, the image label, the
template answers); CODEOWNERS gives the GitOps entry and the service repository to that team; each service
has a runbook and its team an on-call rotation."""

from __future__ import annotations

import re
from collections import defaultdict

from groundwork.catalog.codeowners import CodeOwners
from groundwork.paths import BASE_DIR, CATALOG_FILE, GITOPS_DIR
from groundwork.readiness.context import Context
from groundwork.readiness.entries import Entry
from groundwork.readiness.model import Check, Evidence, ItemSpec, judged

SPEC = ItemSpec(
    4,
    "developers-own-deployment",
    "Developers own deployment",
    "Does exactly one team own each service, its GitOps entry, its runbook and its on-call?",
)
OWNER_LABEL = "groundwork.dev/owner"
IMAGE_OWNER_LABEL = re.compile(r"""dev\.groundwork\.owner\s*=\s*["']?([^"'\s\\]+)""")
RUNBOOKS = ("docs/runbook.md", "RUNBOOK.md", "runbook.md", "docs/RUNBOOK.md")
_SKIP = (".git", ".venv", "node_modules", "__pycache__")


def assess(context: Context) -> list[Check]:
    checks: list[Check] = []
    for entry in context.entries:
        checks += [
            _one_owner(context, entry),
            _codeowners(context, entry),
            _runbook(context, entry),
            _on_call(context, entry),
        ]
    return checks


def claims(context: Context, entry: Entry) -> dict[str, list[str]]:
    """team -> where it is named as the owner of `entry`'s service."""
    found: dict[str, list[str]] = defaultdict(list)
    for component in context.catalog.components.get(entry.name, []):
        if component.owner:
            found[component.owner.name].append(str(component.at("spec", "owner")))
    for component in context.service_components.get(entry.name, []):
        if component.owner:
            found[component.owner.name].append(str(component.at("spec", "owner")))
    if context.codeowners is not None:
        for team, where in _codeowner_claims(context, context.codeowners, _entry_files(context, entry)):
            found[team].append(where)
    repo_codeowners = context.service_codeowners.get(entry.name)
    if repo_codeowners is not None:
        for team, where in _codeowner_claims(context, repo_codeowners, _repo_files(context, entry.name)):
            found[team].append(where)
    label = entry.labels(BASE_DIR).get(OWNER_LABEL)
    if label:
        found[label[0]].append(label[1])
    dockerfile = context.repo_path(entry.name) / "Dockerfile"
    if dockerfile.is_file():
        for number, line in enumerate(dockerfile.read_text(encoding="utf-8").splitlines(), start=1):
            match = IMAGE_OWNER_LABEL.search(line)
            if match:
                found[match[1]].append(f"{context.repos.shown(entry.name, dockerfile)}:{number}")
    if entry.answer("owner_team"):
        found[str(entry.answer("owner_team"))].append(entry.answer_where("owner_team"))
    return {team: sorted(set(places)) for team, places in found.items()}


def _one_owner(context: Context, entry: Entry) -> Check:
    descriptors = context.catalog.components.get(entry.name, [])
    problems: list[str] = []
    primary = descriptors[0] if descriptors else None
    if primary is None:
        problems.append(
            f"{entry.name}: no Component {entry.name} in the catalog ({entry.rel(CATALOG_FILE)} is missing "
            "or not a target of catalog-info.yaml), so nobody owns it"
        )
    elif primary.owner is None:
        problems.append(f"{entry.name}: {primary.where} has no spec.owner, so the service has no owning team")
    elif primary.owner.kind != "group" or context.group(primary.owner.name) is None:
        problems.append(
            f"{entry.name}: {primary.at('spec', 'owner')} names owner {primary.owner}, which is not a Group of the "
            "catalog (catalog/groups.yaml)"
        )
    found = claims(context, entry)
    if len(found) > 1:
        named = "; ".join(
            f"{team} ({', '.join(places[:3])}{', ...' if len(places) > 3 else ''})"
            for team, places in sorted(found.items())
        )
        problems.append(f"{entry.name} is claimed by {len(found)} teams: {named}")
    team = primary.owner.name if primary and primary.owner else None
    return judged(
        "exactly-one-owner",
        problems,
        f"{entry.name} is owned by {team} alone, in every place ownership is written",
        Evidence(
            files=tuple(sorted({place for places in found.values() for place in places})),
            counts={"claims": sum(len(places) for places in found.values()), "teams": len(found)},
        ),
        service=entry.name,
    )


def _codeowners(context: Context, entry: Entry) -> Check:
    team = context.owner(entry.name) or (str(entry.answer("owner_team")) if entry.answer("owner_team") else None)
    problems: list[str] = []
    files: list[str] = []
    root = context.codeowners
    if root is None:
        problems.append(
            f"{entry.name}: the repository has no CODEOWNERS (.github/CODEOWNERS), so nobody owns {entry.shown}/"
        )
    else:
        problems += _coverage(context, root, _entry_files(context, entry), f"{entry.shown}/", entry.name, team)
        files.append(root.file)
    repo = context.service_codeowners.get(entry.name)
    repo_shown = context.repo_shown(entry.name)
    if repo is None:
        problems.append(f"{entry.name}: {context.repo_shown(entry.name, '.github', 'CODEOWNERS')} is missing")
    else:
        problems += _coverage(context, repo, _repo_files(context, entry.name), repo_shown, entry.name, team)
        files.append(repo.file)
    return judged(
        "codeowners",
        problems,
        f"{entry.name}: CODEOWNERS gives {entry.shown}/ and its repository to {team}",
        Evidence(files=tuple(files)),
        service=entry.name,
    )


def _coverage(
    context: Context, codeowners: CodeOwners, paths: list[str], what: str, service: str, team: str | None
) -> list[str]:
    problems: list[str] = []
    uncovered = [path for path in paths if not codeowners.owners_of(path)]
    if uncovered:
        problems.append(
            f"{service}: no line of {codeowners.file} gives {what} an owner (e.g. {uncovered[0]}): add "
            f"'{_pattern(what)} @<org>/{team or '<team>'}'"
        )
    for path in paths:
        rule = codeowners.rule_for(path)
        if rule is None or not rule.owners or team is None:
            continue
        teams = {context.team_for_handle(owner) for owner in rule.owners}
        if teams != {team}:
            problems.append(
                f"{service}: {codeowners.file}:{rule.line} gives {path} to {' '.join(rule.owners)}, not {team} alone"
            )
            break
    return problems


def _pattern(what: str) -> str:
    return f"/{what}" if what.startswith(f"{GITOPS_DIR}/") else "*"


def _runbook(context: Context, entry: Entry) -> Check:
    repo = context.repo_path(entry.name)
    found = next((repo / name for name in RUNBOOKS if (repo / name).is_file()), None)
    problems: list[str] = []
    if found is None:
        problems.append(f"{entry.name}: {context.repo_shown(entry.name)} has no runbook ({' or '.join(RUNBOOKS)})")
    else:
        text = found.read_text(encoding="utf-8", errors="replace")
        if not re.search(r"^#{1,3} ", text, re.M):
            problems.append(f"{entry.name}: {context.repos.shown(entry.name, found)} is empty (no headings)")
    shown = context.repos.shown(entry.name, found) if found else ""
    return judged(
        "runbook",
        problems,
        f"{entry.name} has a runbook ({shown})",
        Evidence(files=(shown,) if shown else ()),
        service=entry.name,
    )


def _on_call(context: Context, entry: Entry) -> Check:
    team = context.owner(entry.name)
    problems: list[str] = []
    files: list[str] = []
    group = context.group(team) if team else None
    if team is None:
        component = context.catalog.component(entry.name)
        where = component.where if component else entry.rel(CATALOG_FILE)
        problems.append(f"{entry.name}: no owning team ({where}), so no on-call contact")
    elif group is None:
        problems.append(f"{entry.name}: its owner {team} is not a Group of the catalog, so no on-call contact")
    else:
        files.append(str(group.where))
        if group.on_call is None:
            problems.append(
                f"{entry.name}: Group {team} ({group.where}) has no groundwork.dev/on-call annotation (its rotation)"
            )
        members = [member for member in group.members if member in context.catalog.users]
        if not members:
            problems.append(f"{entry.name}: Group {team} ({group.where}) has no members that are Users of the catalog")
    count = len(group.members) if group else 0
    return judged(
        "on-call",
        problems,
        f"{entry.name}: {team} is on call ({group.on_call if group else ''}), {count} members",
        Evidence(files=tuple(files), counts={"members": count}),
        service=entry.name,
    )


def _codeowner_claims(context: Context, codeowners: CodeOwners, paths: list[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in paths:
        rule = codeowners.rule_for(path)
        if rule is not None:
            found |= {(context.team_for_handle(owner), f"{codeowners.file}:{rule.line}") for owner in rule.owners}
    return found


def _entry_files(context: Context, entry: Entry) -> list[str]:
    return sorted(context.shown(p) for p in entry.folder.rglob("*") if p.is_file())


def _repo_files(context: Context, service: str) -> list[str]:
    repo = context.repo_path(service)
    return sorted(
        p.relative_to(repo).as_posix()
        for p in repo.rglob("*")
        if p.is_file() and not any(part in _SKIP for part in p.relative_to(repo).parts)
    )
