"""Rendered services as real processes on loopback: render once, install once, start and stop many times."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

START_TIMEOUT_SECONDS = 30.0
# Variables of the test runner's own environment that must not leak into a rendered project's uv or app.
_FOREIGN_PREFIXES = ("VIRTUAL_ENV", "UV_PROJECT", "APP_", "OTEL_", "PYTHONPATH")


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_FOREIGN_PREFIXES)}
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RenderedService:
    """A service rendered by `groundwork new service` and installed with `uv sync`."""

    name: str
    path: Path

    @property
    def package(self) -> str:
        return self.name.replace("-", "_")

    @property
    def python(self) -> Path:
        return self.path / ".venv" / "bin" / "python"


@dataclass(frozen=True)
class Fleet:
    """The session's rendered services."""

    alpha: RenderedService  # declares beta as its downstream
    beta: RenderedService  # calls nothing


def render_service(dest: Path, name: str, calls: list[str]) -> RenderedService:
    """`groundwork new service` (which locks), then install the runtime dependencies."""
    command = [sys.executable, "-m", "groundwork", "new", "service", name, "--team", f"team-{name}"]
    # --no-deploy: only the service's own repository, never an entry in this checkout's gitops/.
    command += ["--domain", "fleet", "--dest", str(dest), "--no-deploy"]
    command += ["--ref", "HEAD"]  # this checkout's template, uncommitted changes included (not the latest tag)
    if calls:
        command += ["--calls", ",".join(calls)]
    env = clean_environment()
    _run(command, env, cwd=dest.parent)
    _run(["uv", "sync", "--locked", "--no-dev", "--quiet"], env, cwd=dest)
    return RenderedService(name, dest)


def _run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


class ServiceProcess:
    """`python -m <package>` of a rendered service, listening on a loopback port, logging to a file."""

    def __init__(
        self, service: RenderedService, log_dir: Path, env: Mapping[str, str] | None = None, port: int | None = None
    ) -> None:
        self.service = service
        self.port = port or free_port()
        self.log_path = log_dir / f"{service.name}-{self.port}-{time.monotonic_ns()}.log"
        self.env = clean_environment(
            {"APP_HOST": "127.0.0.1", "APP_PORT": str(self.port), "OTEL_SDK_DISABLED": "true", **(env or {})}
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> ServiceProcess:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(self.service.python), "-m", self.service.package],
                cwd=self.service.path,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/startupz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.service.name} exited at start:\n{self.log_path.read_text()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.service.name} did not start:\n{self.log_path.read_text()}")
            time.sleep(0.05)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=kwargs.pop("timeout", 10), **kwargs)

    def terminate(self) -> None:
        """Send SIGTERM (the start of a graceful shutdown)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if the process is still running after `timeout` seconds."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in `timeout` seconds."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.terminate()
        code = self.wait(timeout)
        if code is None:
            self.kill()
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


def metric_value(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in Prometheus text format, matching these labels exactly."""
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        if series == name and not labels:
            return float(value)
        if not series.startswith(name + "{"):
            continue
        found = dict(part.split("=", 1) for part in series[len(name) + 1 : -1].split(",") if part)
        if {key: raw.strip('"') for key, raw in found.items()} == labels:
            return float(value)
    return None
