"""`gitops/` as it is at a commit, exported into a folder (git archive): no checkout, no work tree touched."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from groundwork.dora.git import git, git_bytes
from groundwork.paths import GITOPS_DIR


def changed_files(repo: Path, base: str, head: str) -> list[str]:
    out = git(repo, "diff", "--name-only", "--no-renames", base, head, "--", GITOPS_DIR)
    return [line for line in out.splitlines() if line]


def export_gitops(repo: Path, commit: str, destination: Path) -> Path | None:
    """destination/gitops as of `commit`, or None when the commit has no gitops/ folder."""
    if not git(repo, "ls-tree", "--name-only", commit, GITOPS_DIR).strip():
        return None
    data = git_bytes(repo, "archive", "--format=tar", commit, GITOPS_DIR)
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(destination, filter="data")
    return destination / GITOPS_DIR
