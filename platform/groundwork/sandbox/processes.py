"""A small supervisor: start the sandbox's engines as user processes, remember them, stop them all.

Each process runs in its own session (so a signal reaches its children), writes its output to
`<state>/logs/<name>.log`, and is recorded in `<state>/processes.json` with its pid and command line, so
`groundwork down` (another process, later) stops exactly what `up` started and nothing else: a pid is only
signalled while `/proc/<pid>/cmdline` still shows the recorded command.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from groundwork.errors import ToolMissing

PROCESSES_FILE = "processes.json"
# The processes this Python process started, by pid: their own exit status is known without /proc (and a
# child that has not exec'd yet still shows this interpreter's command line).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
STOP_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class Started:
    name: str
    pid: int
    command: tuple[str, ...]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Supervisor:
    """The processes of one sandbox, recorded under `state`."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.logs = state / "logs"

    @property
    def record(self) -> Path:
        return self.state / PROCESSES_FILE

    def started(self) -> list[Started]:
        try:
            entries = json.loads(self.record.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return []
        return [Started(e["name"], int(e["pid"]), tuple(e["command"])) for e in entries if isinstance(e, dict)]

    def start(
        self, name: str, command: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> Started:
        if not Path(command[0]).is_file():
            raise ToolMissing(
                f"{command[0]} is missing", "run 'groundwork sandbox build' (or 'groundwork doctor --env sandbox')"
            )
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
        log.close()
        _CHILDREN[process.pid] = process
        entry = Started(name, process.pid, tuple(command))
        entries = [*self.started(), entry]
        self.record.parent.mkdir(parents=True, exist_ok=True)
        self.record.write_text(
            json.dumps([{"name": e.name, "pid": e.pid, "command": list(e.command)} for e in entries], indent=1),
            encoding="utf-8",
        )
        return entry

    def alive(self, entry: Started) -> bool:
        """True while `entry`'s pid runs the recorded command (a reused pid is not ours)."""
        child = _CHILDREN.get(entry.pid)
        if child is not None:
            return child.poll() is None
        # By the executable, not the command line: some programs (redis-server) rewrite their title.
        try:
            executable = os.readlink(f"/proc/{entry.pid}/exe")
        except OSError:
            return False  # gone, or a zombie
        return executable.removesuffix(" (deleted)") == os.path.realpath(entry.command[0])

    def running(self) -> list[Started]:
        return [entry for entry in self.started() if self.alive(entry)]

    def stop(self, names: Sequence[str] | None = None) -> list[str]:
        """Stop the recorded processes (all, or `names`), newest first; return the names that were running."""
        entries = [e for e in self.started() if names is None or e.name in names]
        stopped: list[str] = []
        for entry in reversed(entries):
            if self.alive(entry):
                stopped.append(entry.name)
                _signal_group(entry.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and any(self.alive(e) for e in entries):
            time.sleep(0.1)
        for entry in entries:
            if self.alive(entry):
                _signal_group(entry.pid, signal.SIGKILL)
        remaining = [e for e in self.started() if e not in entries]
        if remaining:
            self.record.write_text(
                json.dumps([{"name": e.name, "pid": e.pid, "command": list(e.command)} for e in remaining]),
                encoding="utf-8",
            )
        else:
            self.record.unlink(missing_ok=True)
        return stopped

    def exited(self, entry: Started) -> str | None:
        """If `entry` died, the last lines of its log, to say why."""
        if self.alive(entry):
            return None
        log = self.logs / f"{entry.name}.log"
        try:
            lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return " | ".join(lines[-3:]) or "no output"


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
