"""Item 1's evidence from infra/: the stack files, each stack built under mocks (in subprocesses, both at
once), and the last provisioning record `groundwork up` wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

STACKS = ("kind", "eks")
BUILD_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class StackBuild:
    """What one stack registered under mocks, or why it did not build."""

    stack: str
    resources: int = 0
    types: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None


StackBuilder = Callable[[Path, Sequence[str]], Mapping[str, StackBuild]]


def build_stacks(repository: Path, stacks: Sequence[str] = STACKS) -> dict[str, StackBuild]:
    """Each stack of `repository`'s infra/ built under Pulumi mocks, all in one separate Python process."""
    command = [sys.executable, "-m", "groundwork.readiness.stack_build", str(repository), *stacks]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return {stack: StackBuild(stack, error=f"did not finish within {BUILD_TIMEOUT_SECONDS}s") for stack in stacks}
    builds: dict[str, StackBuild] = {}
    for line in result.stdout.splitlines():
        try:
            data = json.loads(line)
            stack = str(data["stack"])
            if data.get("error"):
                builds[stack] = StackBuild(stack, error=str(data["error"]))
            else:
                types = {str(k): int(v) for k, v in data["types"].items()}
                builds[stack] = StackBuild(stack, int(data["resources"]), types)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    last = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
    return {stack: builds.get(stack) or StackBuild(stack, error=f"no result ({last})") for stack in stacks}
