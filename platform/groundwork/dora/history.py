"""Read the overlay changes of a branch's first-parent history with git: one `git log` and one
`git cat-file --batch` for every file version, whatever the history's length.

First parent only: on the branch Argo CD syncs, each first-parent commit is one merge (a squash, a rebase or
a merge commit), and its committer date is when the change reached the cluster's source of truth. The
messages of the commits a merge commit brings in are read too, for their trailers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from groundwork.dora.events import OverlayChange, Running
from groundwork.dora.git import git, git_bytes
from groundwork.paths import APPS_DIR, GITOPS_DIR, OVERLAYS_DIR

RECORD = "\x1e"
FIELD = "\x1f"
OVERLAY = re.compile(
    rf"^{GITOPS_DIR}/{APPS_DIR}/(?P<service>[^/]+)/{OVERLAYS_DIR}/(?P<environment>[^/]+)/kustomization\.ya?ml$"
)


def running(text: bytes | None, service: str) -> Running | None:
    """The image a kustomization runs: its only `images:` entry, else the one named `.../<service>`."""
    if text is None:
        return None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    images = document.get("images") if isinstance(document, dict) else None
    entries: list[dict[str, Any]] = [e for e in images or [] if isinstance(e, dict) and e.get("name")]
    if len(entries) > 1:
        entries = [e for e in entries if str(e["name"]).rsplit("/", 1)[-1] == service]
    if len(entries) != 1:
        return None
    entry = entries[0]

    def text_of(key: str) -> str | None:
        value = entry.get(key)
        return None if value is None else str(value)

    return Running(str(entry.get("newName") or entry["name"]), text_of("newTag"), text_of("digest"))


def _read_blobs(repo: Path, requests: list[str]) -> dict[str, bytes | None]:
    """`<rev>:<path>` -> content (None when missing), through one `git cat-file --batch`."""
    if not requests:
        return {}
    out = git_bytes(repo, "cat-file", "--batch", stdin="".join(f"{r}\n" for r in requests).encode())
    found: dict[str, bytes | None] = {}
    position = 0
    for request in requests:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[request] = out[position : position + size]
            position += size + 1
        else:
            found[request] = None
    return found


def _merged_messages(repo: Path, parents: list[str]) -> list[str]:
    """Messages of the commits a merge commit brought in, newest first."""
    if len(parents) < 2:
        return []
    log = git(repo, "log", f"--format={RECORD}%B", f"{parents[0]}..{parents[1]}")
    return [message for message in log.split(RECORD)[1:] if message.strip()]


def read_changes(repo: Path, ref: str = "HEAD") -> list[OverlayChange]:
    """Every change of an overlay's kustomization on `ref`'s first-parent history, oldest first."""
    log = git(
        repo,
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--no-renames",
        "--name-only",
        f"--format={RECORD}%H{FIELD}%P{FIELD}%cI{FIELD}%B{FIELD}",
        ref,
        "--",
        f"{GITOPS_DIR}/{APPS_DIR}",
    )
    commits: list[tuple[str, list[str], datetime, str, list[str]]] = []
    for record in log.split(RECORD)[1:]:
        sha, parent_list, date, message, names = record.split(FIELD)
        paths = [line.strip() for line in names.splitlines() if OVERLAY.match(line.strip())]
        if paths:
            moment = datetime.fromisoformat(date).astimezone(UTC)
            commits.append((sha, parent_list.split(), moment, message, paths))
    requests = [
        request
        for sha, parents, _, _, paths in commits
        for path in paths
        for request in ([f"{parents[0]}:{path}"] if parents else []) + [f"{sha}:{path}"]
    ]
    blobs = _read_blobs(repo, requests)
    changes: list[OverlayChange] = []
    for sha, parents, moment, message, paths in reversed(commits):
        messages = (message, *_merged_messages(repo, parents))
        for path in paths:
            match = OVERLAY.match(path)
            assert match is not None
            service, environment = match.group("service"), match.group("environment")
            before = running(blobs.get(f"{parents[0]}:{path}"), service) if parents else None
            after = running(blobs.get(f"{sha}:{path}"), service)
            changes.append(OverlayChange(sha, moment, messages, service, environment, before, after))
    return changes
