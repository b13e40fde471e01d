"""The repository's own code stays as clean as the services it generates: ruff and mypy --strict."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

CHECKS = {
    "ruff check": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    "mypy --strict": ["mypy"],
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_repository_code_is_clean(name: str, repo_root: Path) -> None:
    result = subprocess.run(CHECKS[name], cwd=repo_root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{name} found problems:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
