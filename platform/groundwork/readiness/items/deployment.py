"""Item 3, rapid deployment: every service's CI ends in a GitOps pull request to its dev overlay; Argo CD syncs
dev automatically; merging that pull request needs no approval beyond the owning team."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from groundwork.parsed import as_list, as_mapping
from groundwork.paths import APPS_DIR, BOOTSTRAP_DIR, GITOPS_DIR, KUSTOMIZATION, OVERLAYS_DIR
from groundwork.readiness.context import Context
from groundwork.readiness.entries import Entry
from groundwork.readiness.model import Check, Evidence, ItemSpec, judged
from groundwork.readiness.workflow import find_gitops_pr

SPEC = ItemSpec(
    3,
    "rapid-deployment",
    "Rapid deployment",
    "Does every merge reach dev through a GitOps pull request, synced automatically, approved by the owning team?",
)
BOOTSTRAP = Path(GITOPS_DIR) / BOOTSTRAP_DIR
APPS_PATTERN = f"{GITOPS_DIR}/{APPS_DIR}/*/{OVERLAYS_DIR}/"
DEV = "dev"


def assess(context: Context) -> list[Check]:
    checks: list[Check] = []
    for entry in context.entries:
        checks += [_ci_gitops_pr(context, entry), _owner_approves_alone(context, entry)]
    checks.append(_dev_auto_sync(context))
    return checks


def _ci_gitops_pr(context: Context, entry: Entry) -> Check:
    gitops_repo = str(entry.answer("gitops_repo") or "")
    result = find_gitops_pr(context.repo_path(entry.name), entry.name, gitops_repo)
    workflow = context.repos.shown(entry.name, result.workflow) if result.workflow else ""
    read = ", ".join(context.repos.shown(entry.name, path) for path in result.read)
    where = workflow or read or context.repo_shown(entry.name, ".github", "workflows")
    problems = [f"{entry.name}: {where}: {problem}" for problem in result.problems]
    overlay = entry.kustomization(OVERLAYS_DIR, DEV)
    if overlay is None:
        problems.append(f"{entry.name}: {entry.rel(OVERLAYS_DIR, DEV, KUSTOMIZATION)} is missing")
    elif result.ok and result.image:
        names = [str(as_mapping(image).get("name")) for image in as_list(overlay.body.get("images"))]
        if result.image not in names:
            problems.append(
                f"{entry.name}: {overlay.file} has no images entry named {result.image}, the image {workflow} "
                "pushes, so its pull request has nothing to change"
            )
    return judged(
        "ci-ends-in-gitops-pr",
        problems,
        f"{entry.name}: job {result.job} of {workflow} opens the pull request that deploys to dev",
        Evidence(files=tuple(f for f in (workflow, overlay.file if overlay else "") if f)),
        service=entry.name,
    )


def _owner_approves_alone(context: Context, entry: Entry) -> Check:
    path = entry.rel(OVERLAYS_DIR, DEV, KUSTOMIZATION)
    team = context.team_of_record(entry)
    codeowners = context.codeowners
    if codeowners is None:
        return judged(
            "owner-approves-alone",
            [],
            f"{entry.name}: no CODEOWNERS, so no review beyond the team's own rules",
            service=entry.name,
        )
    rule = codeowners.rule_for(path)
    owners = rule.owners if rule else ()
    teams = {context.team_for_handle(owner) for owner in owners}
    evidence = Evidence(files=(f"{codeowners.file}:{rule.line}",) if rule else (codeowners.file,))
    if not owners:
        return judged(
            "owner-approves-alone",
            [],
            f"{entry.name}: no code owner review is required for {path}",
            evidence,
            service=entry.name,
        )
    problems = []
    if team not in teams:
        problems.append(
            f"{entry.name}: {codeowners.file}:{rule.line if rule else 0} requires {' or '.join(owners)} to approve "
            f"{path}, not the owning team {team or '(unknown)'}"
        )
    return judged(
        "owner-approves-alone",
        problems,
        f"{entry.name}: {team} alone approves its dev deployment ({', '.join(owners)})",
        evidence,
        service=entry.name,
    )


def _dev_auto_sync(context: Context) -> Check:
    documents = list(_bootstrap_documents(context.root / BOOTSTRAP))
    appsets = [(file, doc) for file, doc in documents if doc.get("kind") == "ApplicationSet" and _apps_generator(doc)]
    problems: list[str] = []
    files: list[str] = []
    if not appsets:
        problems.append(
            f"no ApplicationSet under {BOOTSTRAP.as_posix()}/ generates Applications from {APPS_PATTERN}<env>"
        )
    for file, appset in appsets:
        shown = context.shown(file)
        files.append(shown)
        sync = as_mapping(
            as_mapping(as_mapping(as_mapping(appset.get("spec")).get("template")).get("spec")).get("syncPolicy")
        )
        automated = sync.get("automated", False)
        if not isinstance(automated, Mapping) or automated.get("enabled") is False:
            problems.append(f"{shown}: the Applications it generates do not sync automatically (syncPolicy.automated)")
        if not _selects_dev(appset):
            problems.append(f"{shown}: its clusters generator does not select environment {DEV}")
    projects = [(file, doc) for file, doc in documents if doc.get("kind") == "AppProject"]
    dev_projects = [(f, d) for f, d in projects if as_mapping(d.get("metadata")).get("name") == DEV]
    for file, project in dev_projects:
        files.append(context.shown(file))
        windows = as_list(as_mapping(project.get("spec")).get("syncWindows"))
        if windows:
            problems.append(f"{context.shown(file)}: the {DEV} project has sync windows, so automated syncs can wait")
    if not dev_projects:
        problems.append(f"no AppProject named {DEV} under {BOOTSTRAP.as_posix()}/")
    missing = [entry.name for entry in context.entries if DEV not in entry.overlays]
    problems += [f"{name}: gitops/apps/{name}/overlays/{DEV}/ is missing" for name in missing]
    return judged(
        "dev-syncs-automatically",
        problems,
        f"Argo CD syncs every service's {DEV} overlay automatically ({len(context.entries) - len(missing)} services)",
        Evidence(files=tuple(files), counts={"services_with_dev_overlay": len(context.entries) - len(missing)}),
    )


def _bootstrap_documents(folder: Path) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    for file in sorted(folder.rglob("*.yaml")):
        try:
            for document in yaml.safe_load_all(file.read_text(encoding="utf-8")):
                if isinstance(document, Mapping):
                    yield file, document
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue


def _apps_generator(appset: Mapping[str, Any]) -> bool:
    return any(APPS_PATTERN in str(as_mapping(d).get("path", "")) for d in _find(appset.get("spec"), "directories"))


def _selects_dev(appset: Mapping[str, Any]) -> bool:
    expressions = [as_mapping(e) for found in _find(appset.get("spec"), "matchExpressions") for e in as_list(found)]
    relevant = [e for e in expressions if e.get("key") == "environment"]
    return not relevant or any(e.get("operator") == "In" and DEV in as_list(e.get("values")) for e in relevant)


def _find(value: object, key: str) -> Iterator[Any]:
    """Every value of `key` anywhere below `value` (generators nest: matrix, merge)."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k == key:
                yield from (v if isinstance(v, list) and key == "directories" else [v])
            yield from _find(v, key)
    elif isinstance(value, list):
        for item in value:
            yield from _find(item, key)
