"""Turn a written promotion into a branch, a commit carrying the deployment trailers, and a pull request.

The trailers are the service CI's (`Service`, `Environment`, `Source-Commit`, `Image-Digest`,
`Image-Built-At`) plus `Promoted-From`: the build time and source commit are copied from the commit that
deployed the same digest to the source environment, so `groundwork dora` measures lead time to staging and
prod from the same build. Nothing here pushes or opens anything unless asked (`open_pull_request`).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from groundwork.dora import trailers as keys
from groundwork.dora.git import GitFailed, git
from groundwork.dora.trailers import format_trailers, parse_trailers
from groundwork.errors import ActionFailed, MissingTool
from groundwork.promote.plan import Plan

RECORD = "\x1e"
FIELD = "\x1f"


class PullRequestFailed(ActionFailed):
    """The branch, commit, push or `gh pr create` could not be done."""


@dataclass(frozen=True)
class Commit:
    branch: str
    base: str
    sha: str
    title: str
    body: str


def short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def branch_name(plan: Plan) -> str:
    return f"promote/{plan.service}/{plan.target}-{short(plan.after.image.digest or '')}"


def title(plan: Plan) -> str:
    tag = plan.after.image.new_tag or short(plan.after.image.digest or "")
    return f"{plan.service}: promote {tag} from {plan.source} to {plan.target}"


def source_deploy_trailers(plan: Plan) -> dict[str, str]:
    """Trailers of the newest commit that put this digest into the source overlay (empty when none did)."""
    path = plan.source_path.relative_to(plan.root).as_posix()
    log = git(plan.root, "log", f"--format={RECORD}%H{FIELD}%B", "--", path)
    for record in log.split(RECORD)[1:]:
        _, _, message = record.partition(FIELD)
        found = parse_trailers(message)
        if found.get(keys.IMAGE_DIGEST) == plan.after.image.digest:
            return found
    return {}


def commit_message(plan: Plan, source: dict[str, str]) -> tuple[str, str]:
    """(title, body): the body says what moved and ends with the trailers `groundwork dora` reads."""
    image = plan.after.image
    lines = [
        f"Points {plan.service} in {plan.target} at {image.reference}, the image {plan.source} runs.",
        "",
        "Merging deploys it (Argo CD syncs); reverting this commit rolls it back.",
    ]
    trailers = {
        keys.SERVICE: plan.service,
        keys.ENVIRONMENT: plan.target,
        keys.PROMOTED_FROM: plan.source,
        keys.SOURCE_COMMIT: source.get(keys.SOURCE_COMMIT, ""),
        keys.IMAGE_DIGEST: image.digest or "",
        keys.IMAGE_BUILT_AT: source.get(keys.IMAGE_BUILT_AT, ""),
    }
    return title(plan), "\n".join(lines) + "\n\n" + format_trailers(trailers)


def ensure_committable(plan: Plan) -> str:
    """The current branch (the pull request's base); refuses a target file with uncommitted edits."""
    path = plan.path.relative_to(plan.root).as_posix()
    if git(plan.root, "status", "--porcelain", "--", path).strip():
        raise PullRequestFailed(
            f"{path} has uncommitted changes", "commit or discard them first, so the promotion commit holds only it"
        )
    base = git(plan.root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    if base == "HEAD":
        raise PullRequestFailed("HEAD is detached", "switch to the branch the pull request should target (main)")
    branch = branch_name(plan)
    if git(plan.root, "branch", "--list", branch).strip():
        raise PullRequestFailed(f"branch {branch} already exists", f"delete it ('git branch -D {branch}') or merge it")
    return base


def create_branch(plan: Plan) -> str:
    branch = branch_name(plan)
    git(plan.root, "switch", "--quiet", "--create", branch)
    return branch


def commit(plan: Plan, base: str, branch: str) -> Commit:
    """Commit exactly the target overlay on `branch` (already checked out and written)."""
    path = plan.path.relative_to(plan.root).as_posix()
    heading, body = commit_message(plan, source_deploy_trailers(plan))
    git(plan.root, "add", "--", path)
    git(plan.root, "commit", "--quiet", "--message", f"{heading}\n\n{body}", "--", path)
    sha = git(plan.root, "rev-parse", "HEAD").strip()
    return Commit(branch, base, sha, heading, body)


def push_command(done: Commit) -> list[str]:
    return ["git", "push", "--set-upstream", "origin", done.branch]


def gh_command(done: Commit) -> list[str]:
    return [
        "gh",
        "pr",
        "create",
        "--base",
        done.base,
        "--head",
        done.branch,
        "--title",
        done.title,
        "--body",
        done.body,
    ]


def printable(command: list[str]) -> str:
    return shlex.join(command)


def require_gh() -> str:
    gh = shutil.which("gh")
    if gh is None:
        raise MissingTool(
            "gh is not installed, so --open cannot open the pull request",
            "install gh (https://cli.github.com) or drop --open and run the printed commands",
        )
    return gh


def open_pull_request(root: Path, done: Commit) -> str:
    """Push the branch and run `gh pr create`; returns what gh printed (the pull request's URL)."""
    gh = require_gh()
    try:
        git(root, *push_command(done)[1:])
    except GitFailed as error:
        raise PullRequestFailed(f"pushing {done.branch} failed", error.fix or error.problem) from None
    command = [gh, *gh_command(done)[1:]]
    finished = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False, timeout=120)
    if finished.returncode != 0:
        detail = " ".join(finished.stderr.split()) or f"exit {finished.returncode}"
        raise PullRequestFailed("gh pr create failed", detail)
    return finished.stdout.strip()
