"""Does a service's CI end in a GitOps pull request? Read statically from its GitHub Actions workflows.

The answer is yes when a workflow that runs on pushes to main has a job that
- opens a pull request (`peter-evans/create-pull-request`, or `gh pr create` in a run step),
- in the GitOps repository (a checkout of it in the same job) touching `gitops/apps/<service>/overlays/dev`,
- after the job that pushes the image (it `needs` it, directly or not),
- and is last: no other job needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groundwork.parsed import as_list, as_mapping
from groundwork.paths import APPS_DIR, ENVIRONMENTS, GITOPS_DIR, OVERLAYS_DIR

PR_ACTION = "peter-evans/create-pull-request@"
CHECKOUT_ACTION = "actions/checkout@"
PUSH_ACTION = "docker/build-push-action@"
MAIN_BRANCHES = ("main", "master")


@dataclass
class GitopsPr:
    """The job that opens the deployment pull request, or why none qualifies."""

    workflow: Path | None = None
    job: str = ""
    image: str = ""
    problems: list[str] = field(default_factory=list)
    read: list[Path] = field(default_factory=list)  # every workflow file looked at

    @property
    def ok(self) -> bool:
        return self.workflow is not None and not self.problems


def find_gitops_pr(repository: Path, service: str, gitops_repo: str) -> GitopsPr:
    workflows = sorted((repository / ".github" / "workflows").glob("*.y*ml"))
    if not workflows:
        return GitopsPr(problems=["has no .github/workflows/*.yml"])
    best: GitopsPr | None = None
    for workflow in workflows:
        try:
            document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(document, Mapping):
            continue
        for result in _candidates(workflow, document, service, gitops_repo):
            if result.ok:
                result.read = workflows
                return result
            best = best or result
    if best is not None:
        best.read = workflows
        return best
    return GitopsPr(
        problems=[f"no job opens a pull request in {gitops_repo} (peter-evans/create-pull-request or gh pr create)"],
        read=workflows,
    )


def _candidates(workflow: Path, document: Mapping[Any, Any], service: str, gitops_repo: str) -> list[GitopsPr]:
    jobs = {str(k): v for k, v in as_mapping(document.get("jobs")).items() if isinstance(v, Mapping)}
    # YAML 1.1 reads the key `on` as True.
    triggers = document.get("on", document.get(True))
    image = str(as_mapping(document.get("env")).get("IMAGE") or "")
    results: list[GitopsPr] = []
    for name, job in jobs.items():
        steps = [as_mapping(step) for step in as_list(job.get("steps"))]
        if not any(_opens_pr(step) for step in steps):
            continue
        result = GitopsPr(workflow, name, image)
        if not _runs_on_main_push(triggers):
            result.problems.append(f"workflow {workflow.name} does not run on pushes to main")
        if not any(
            str(step.get("uses", "")).startswith(CHECKOUT_ACTION)
            and str(as_mapping(step.get("with")).get("repository", "")) == gitops_repo
            for step in steps
        ):
            result.problems.append(f"job {name} does not check out the GitOps repository {gitops_repo}")
        target = f"{GITOPS_DIR}/{APPS_DIR}/{service}/{OVERLAYS_DIR}/{ENVIRONMENTS[0]}"
        if not any(target in _text(step) for step in steps):
            result.problems.append(f"job {name} does not change {target}")
        needed = _needs_closure(name, jobs)
        if not any(_pushes_image(jobs[other]) for other in needed if other in jobs):
            result.problems.append(f"job {name} does not run after the job that pushes the image (needs)")
        followers = sorted(other for other, body in jobs.items() if name in _needs(body))
        if followers:
            result.problems.append(f"job {name} is not the last: {', '.join(followers)} run after it")
        results.append(result)
    return results


def _opens_pr(step: Mapping[str, Any]) -> bool:
    return str(step.get("uses", "")).startswith(PR_ACTION) or "gh pr create" in str(step.get("run", ""))


def _pushes_image(job: Mapping[str, Any]) -> bool:
    for step in as_list(job.get("steps")):
        step = as_mapping(step)
        uses = str(step.get("uses", ""))
        if uses.startswith(PUSH_ACTION) and str(as_mapping(step.get("with")).get("push", "")).lower() == "true":
            return True
        if "docker push" in str(step.get("run", "")):
            return True
    return False


def _runs_on_main_push(triggers: object) -> bool:
    if isinstance(triggers, str):
        return triggers == "push"
    if isinstance(triggers, list):
        return "push" in triggers
    if not isinstance(triggers, Mapping) or "push" not in triggers:
        return False
    push = triggers["push"]
    if push is None:  # `push:` with no filter: every branch
        return True
    if not isinstance(push, Mapping):
        return False
    branches = push.get("branches")
    return branches is None or any(branch in MAIN_BRANCHES for branch in as_list(branches))


def _needs(job: Mapping[str, Any]) -> list[str]:
    needs = job.get("needs")
    return [needs] if isinstance(needs, str) else [str(n) for n in as_list(needs)]


def _needs_closure(name: str, jobs: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen: set[str] = set()
    pending = list(_needs(jobs.get(name, {})))
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending += _needs(jobs.get(current, {}))
    return seen


def _text(value: object) -> str:
    if isinstance(value, Mapping):
        return " ".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return str(value)
