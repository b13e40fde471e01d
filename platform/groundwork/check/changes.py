"""`--changed-since REF`: the paths a change touches, and the targets those paths can affect.

The changed paths are git's: every file that differs between REF and the working tree (committed, staged or
not), both sides of a rename, and every untracked file git does not ignore. A target is affected when one of
them is among its inputs (`inputs.Inputs.claims`). Everything is affected when a shared input changed
(policies, catalog, chart versions, the gate's own code), and when a manifest under gitops/ changed that no
target claims: the gate cannot tell what it does, so it does not guess.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from groundwork.check.inputs import GATE_SOURCES, MANIFEST_SUFFIXES, Inputs, is_shared, shared_paths
from groundwork.check.model import Target
from groundwork.errors import GroundworkError, MissingTool

GIT_TIMEOUT_SECONDS = 60


class BadRevision(GroundworkError):
    """--changed-since names something git cannot compare with (bad input, exit 2)."""


@dataclass(frozen=True)
class Impact:
    """Which targets a change can affect, and why everything is when it is."""

    affected: tuple[Target, ...]
    everything_because: str = ""  # empty unless a shared or unclaimed input changed


def changed_paths(root: Path, since: str) -> list[Path]:
    """Absolute paths that differ between `since` and the working tree of the repository holding `root`."""
    if not since.strip() or since.startswith("-"):
        raise BadRevision(
            f"--changed-since {since!r} is not a revision", "pass a branch, tag or commit, e.g. origin/main"
        )
    top = _git(root, ["rev-parse", "--show-toplevel"], since).strip()
    _git(root, ["rev-parse", "--verify", "--quiet", f"{since}^{{commit}}"], since)
    tracked = _git(root, ["diff", "--name-only", "--no-renames", "-z", since, "--"], since)
    toplevel = Path(top).resolve()
    untracked = _git(toplevel, ["ls-files", "--others", "--exclude-standard", "-z"], since)
    names = {name for name in (tracked + untracked).split("\0") if name}
    return sorted(toplevel / name for name in names)


def _git(root: Path, arguments: list[str], since: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *arguments],
            capture_output=True,
            text=True,
            check=False,
            timeout=GIT_TIMEOUT_SECONDS,
        )
    except FileNotFoundError:
        raise MissingTool("--changed-since needs git, which is not installed", "install git") from None
    except subprocess.TimeoutExpired:
        raise BadRevision(f"git {arguments[0]} did not finish in {GIT_TIMEOUT_SECONDS} s", "retry") from None
    if done.returncode != 0:
        if arguments[0] == "rev-parse" and "--show-toplevel" in arguments:
            raise BadRevision(
                f"{root} is not in a git repository, so --changed-since has nothing to compare", "drop --changed-since"
            )
        raise BadRevision(
            f"git does not know the revision {since!r}",
            "fetch it first (e.g. git fetch origin main) or pass a commit this clone has",
        )
    return done.stdout


def impact(
    root: Path,
    gitops: Path,
    targets: Sequence[Target],
    inputs: dict[Target, Inputs],
    changed: Sequence[Path],
    extra_shared: Sequence[Path] = (),
) -> Impact:
    """The targets `changed` can affect (all of them when a shared input changed)."""
    shared = [*shared_paths(root, extra_shared), *(root / name for name in GATE_SOURCES)]
    for path in changed:
        if is_shared(path, shared):
            return Impact(tuple(targets), f"{_shown(path, root)} is an input of every target")
    affected = [t for t in targets if any(inputs[t].claims(path) for path in changed)]
    for path in changed:
        unclaimed = not any(inputs[t].claims(path) for t in targets)
        if unclaimed and gitops in path.parents and (path.suffix in MANIFEST_SUFFIXES or path.name == "Kustomization"):
            return Impact(tuple(targets), f"{_shown(path, root)} is used by no target the gate can name")
    return Impact(tuple(affected))


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
