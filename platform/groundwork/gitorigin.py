"""The `origin` URL of a checkout, as configured: what `up` gives Argo CD and what a new project records as its
template source. Not `git remote get-url`, which applies this machine's `url.<base>.insteadOf` rewrites (an
SSH or mirror preference that must not end up in a committed file)."""

import subprocess
from pathlib import Path


def git_origin(repository: Path) -> str | None:
    """The checkout's `origin` remote URL as configured, if any."""
    try:
        result = subprocess.run(
            ["git", "-C", str(repository), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None
