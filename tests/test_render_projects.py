"""Acceptance 1 (issue 2): the template renders for several answer sets, and each rendered project's own
lint, type-check and tests pass inside it, exactly as its CI would run them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from groundwork.cli import run

ANSWER_SETS = {
    "no-downstreams": ["orders", "--team", "team-orders", "--domain", "commerce"],
    "longest-name": ["a" + "-b" * 19 + "z", "--team", "team-platform", "--domain", "platform", "--port", "9000"],
    "two-downstreams": [
        "checkout",
        "--team",
        "team-checkout",
        "--domain",
        "commerce",
        "--calls",
        "inventory,payment",
        "--description",
        "Turns baskets into orders",
    ],
}

PROJECT_CHECKS = [
    ["uv", "sync", "--locked", "--quiet"],
    ["uv", "run", "--locked", "ruff", "check", "."],
    ["uv", "run", "--locked", "ruff", "format", "--check", "."],
    ["uv", "run", "--locked", "mypy"],
    ["uv", "run", "--locked", "pytest", "-q", "-p", "no:cacheprovider"],
]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ANSWER_SETS))
def test_rendered_project_passes_its_own_checks(name: str, tmp_path: Path) -> None:
    dest = tmp_path / name
    assert run(["new", "service", *ANSWER_SETS[name], "--dest", str(dest), "--ref", "HEAD", "--no-deploy"]) == 0
    assert (dest / "uv.lock").is_file(), "groundwork new service locks the new project's dependencies"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    for command in PROJECT_CHECKS:
        result = subprocess.run(command, cwd=dest, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{' '.join(command)} failed in {name}:\n{result.stdout}\n{result.stderr}"
