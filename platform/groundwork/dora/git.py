"""git through subprocess with explicit arguments: the one place groundwork runs git on a repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from groundwork.errors import GroundworkError, MissingTool


class GitFailed(GroundworkError):
    """git is missing, the folder is not a repository, or a git command failed."""


class GitMissing(GitFailed, MissingTool):
    """git itself is not installed (exit 3)."""


def git_executable() -> str:
    found = shutil.which("git")
    if found is None:
        raise GitMissing("git is not installed", "install git (https://git-scm.com/downloads)")
    return found


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run `git -C repo args...` and return its stdout as text; a failure is one line naming the command."""
    return git_bytes(repo, *args, stdin=stdin).decode("utf-8", errors="replace")


def git_bytes(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    command = [git_executable(), "-C", str(repo), *args]
    done = subprocess.run(command, input=stdin, capture_output=True, check=False, timeout=300)
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode("utf-8", errors="replace").split()) or f"exit {done.returncode}"
        raise GitFailed(f"'git {' '.join(args[:3])}' failed in {repo}", detail)
    return done.stdout


def repository_root(path: Path) -> Path:
    """The top folder of the git work tree holding `path`."""
    if not path.exists():
        raise GitFailed(f"{path} does not exist", "pass a folder inside a git repository")
    try:
        return Path(git(path, "rev-parse", "--show-toplevel").strip())
    except GitFailed:
        raise GitFailed(
            f"{path} is not inside a git repository", "run it in a clone of the GitOps repository"
        ) from None


def resolve_commit(repo: Path, ref: str) -> str:
    """The full SHA of `ref`, or one line saying the ref is unknown."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except GitFailed:
        raise GitFailed(f"'{ref}' is not a commit of {repo}", "pass a branch, tag or SHA that exists there") from None
