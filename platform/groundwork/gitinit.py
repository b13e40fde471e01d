"""The new service repository starts as a git repository with one commit, so `copier update` (which works only
in git-tracked projects) runs in it, and in any fresh clone of it, with no extra step."""

import shutil
import subprocess
from pathlib import Path

from groundwork.errors import ActionFailed, MissingTool

# Used only when the machine has no git identity: the first commit must not fail on a fresh CI runner.
_FALLBACK_IDENTITY = ("-c", "user.name=groundwork", "-c", "user.email=groundwork@localhost")


def require_git() -> str:
    git = shutil.which("git")
    if git is None:
        raise MissingTool(
            "git is not installed, so the new service cannot be a repository", "install git, or pass --no-git"
        )
    return git


def initial_commit(project: Path, message: str) -> None:
    """`git init` + one commit of everything rendered (uv.lock included)."""
    git = require_git()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([git, *args], cwd=project, capture_output=True, text=True, check=False)

    steps = [("init", "-q", "-b", "main"), ("add", "-A")]
    for step in steps:
        done = run(*step)
        if done.returncode != 0:
            raise ActionFailed(f"'git {step[0]}' failed in {project}: {done.stderr.strip()}", "run it there yourself")
    identity = () if run("config", "user.email").stdout.strip() else _FALLBACK_IDENTITY
    done = run(*identity, "commit", "-q", "-m", message)
    if done.returncode != 0:
        raise ActionFailed(f"the first commit failed in {project}: {done.stderr.strip()}", "commit it yourself")
