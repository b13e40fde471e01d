"""What both servers share: free loopback ports, a private directory, waiting for a log line, and the
missing-tool message."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

START_TIMEOUT_SECONDS = 90.0


class ServerUnavailable(RuntimeError):
    """A server could not be installed or started; the message says what is missing and how to install it."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private_directory(prefix: str, owner: str | None = None) -> Path:
    """A fresh directory under the system temp dir, owned by `owner` when given (PostgreSQL refuses root)."""
    path = Path(tempfile.mkdtemp(prefix=f"groundwork-{prefix}-"))
    if owner is not None:
        shutil.chown(path, owner, owner)
    return path


def wait_until(ready: Callable[[], bool], alive: Callable[[], bool], what: str, log: Path) -> None:
    """Poll `ready` until it holds; fail with the server's log when the process dies or time runs out."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not ready():
        if not alive():
            raise ServerUnavailable(f"{what} exited at start:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise ServerUnavailable(f"{what} did not start in {START_TIMEOUT_SECONDS:.0f} s:\n{_tail(log)}")
        time.sleep(0.1)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def cache_root() -> Path:
    """~/.cache/groundwork (or $XDG_CACHE_HOME/groundwork): outside the repository, kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "groundwork"
