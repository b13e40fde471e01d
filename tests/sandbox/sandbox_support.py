"""Helpers of the sandbox tests: a throwaway Git clone of this checkout, and small readers over kubectl."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from groundwork.sandbox.kube import Kube
from groundwork.sandbox.toolchain import Toolchain

REPO_ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
# On a new machine `make test` builds the engines in the background while the rest of the suite runs (about an
# hour on 2 cores); the sandbox tests, last, wait for it this long at most. The wait is not part of a test's
# own timeout (the tests' timeout marker is func_only): see tests/sandbox/test_sandbox_e2e.py.
BUILD_WAIT_SECONDS = 75 * 60.0


def require_sandbox_tools() -> Toolchain:
    """The pinned tools: what is missing is built now, or waited for while a background build (started by
    scripts/install-tools) is building it; a skip naming what is not installed where Go or a system tool is
    missing (a failure in CI)."""
    tools = Toolchain.for_repository(REPO_ROOT)
    problems = [
        f"{tool} is not installed" for tool in ("go", "redis-server", "openssl", "git") if shutil.which(tool) is None
    ]
    if problems:
        message = f"sandbox tools missing ({'; '.join(problems)}): see 'uv run groundwork doctor --env sandbox'"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    for name in tools.missing():
        tools.build(name, lambda line: None, wait_seconds=BUILD_WAIT_SECONDS)
    return tools


def git(repository: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "sandbox test",
        "GIT_AUTHOR_EMAIL": "sandbox@example.invalid",
        "GIT_COMMITTER_NAME": "sandbox test",
        "GIT_COMMITTER_EMAIL": "sandbox@example.invalid",
    }
    result = subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def clone_checkout(target: Path) -> Path:
    """This checkout's files as they are now (tracked and new, not ignored), committed on `main` of a new repo."""
    listed = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        relative = raw.decode()
        source = REPO_ROOT / relative
        if not source.is_file():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "groundwork checkout for the sandbox test")
    return target


def kube_json(kube: Kube, *args: str) -> dict[str, Any]:
    code, out, err = kube([*args, "-o", "json"])
    assert code == 0, f"kubectl {' '.join(args)}: {err}"
    document: dict[str, Any] = json.loads(out)
    return document


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 300.0, every: float = 2.0) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` and its last answer."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def application(kube: Kube, name: str) -> dict[str, Any]:
    code, out, _ = kube(["-n", "argocd", "get", "applications.argoproj.io", name, "-o", "json"])
    return json.loads(out) if code == 0 else {}


def app_status(kube: Kube, name: str) -> tuple[str, str]:
    status = application(kube, name).get("status", {})
    return status.get("sync", {}).get("status", ""), status.get("health", {}).get("status", "")
