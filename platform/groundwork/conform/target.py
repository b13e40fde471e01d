"""The service under test: a process the suite starts on loopback (`-- <command>`), or a URL it only probes."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from groundwork.conform import client as http

# The suite's variables replace whatever the caller's environment says about the service.
_FOREIGN_PREFIXES = ("APP_", "OTEL_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StartFailed(Exception):
    """The service exited or never answered /startupz 200; the message carries its last output."""


class ServiceProcess:
    """`command` with the suite's environment, stdout and stderr in files under `workdir`."""

    def __init__(
        self, command: Sequence[str], env: Mapping[str, str], workdir: Path, label: str, cwd: Path | None = None
    ) -> None:
        self.command = list(command)
        self.port = free_port()
        base = {key: value for key, value in os.environ.items() if not key.startswith(_FOREIGN_PREFIXES)}
        self.env = {**base, "APP_HOST": "127.0.0.1", "APP_PORT": str(self.port), **env}
        self.stdout_path = workdir / f"{label}.stdout"
        self.stderr_path = workdir / f"{label}.stderr"
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_statuses: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=err, cwd=self.cwd, start_new_session=True
            )

    def start(self, timeout: float) -> float:
        """Spawn and wait for /startupz 200; returns the seconds it took."""
        self.spawn()
        began = time.monotonic()
        while True:
            try:
                status = http.get(f"{self.url}/startupz", timeout=2).status
                if not self.startup_statuses or self.startup_statuses[-1] != status:
                    self.startup_statuses.append(status)
                if status == 200:
                    return time.monotonic() - began
            except http.TransportError:
                pass
            if not self.alive:
                raise StartFailed(f"exited with {self.returncode} before answering /startupz 200: {self.tail()}")
            if time.monotonic() - began > timeout:
                self.kill()
                raise StartFailed(f"no /startupz 200 within {timeout:g} s: {self.tail()}")
            time.sleep(0.05)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        if self.alive and self.process is not None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Stop the process group for good (the command may be a wrapper such as npm or uv)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        self.terminate()
        if self.wait(timeout) is None:
            self.kill()

    def stdout_lines(self) -> list[str]:
        return [line for line in _read(self.stdout_path).splitlines() if line.strip()]

    def output_lines(self) -> list[str]:
        text = _read(self.stdout_path) + "\n" + _read(self.stderr_path)
        return [line for line in text.splitlines() if line.strip()]

    def log_records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.stdout_lines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def tail(self, lines: int = 5) -> str:
        return " | ".join(line.strip()[:300] for line in self.output_lines()[-lines:]) or "no output"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
