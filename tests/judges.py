"""External judges shared by several test folders: zizmor over workflows, Backstage's catalog model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

BACKSTAGE_VALIDATOR = Path(__file__).resolve().parent / "service" / "backstage"


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is a dev dependency of groundwork: run `uv sync`"
    return path


def zizmor_findings(target: Path) -> list[dict[str, Any]]:
    """zizmor --offline over a workflow file or folder, as JSON findings."""
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "json", str(target)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    # zizmor exits 0 without findings and 1x with findings (by severity); anything else is a failure to judge.
    assert result.returncode == 0 or 10 <= result.returncode <= 14, f"zizmor failed:\n{result.stderr}"
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def ensure_backstage_validator() -> Path:
    """Install the pinned Backstage catalog model for `validate.mjs` (npm ci from the lock file, once)."""
    if not (BACKSTAGE_VALIDATOR / "node_modules" / "@backstage" / "catalog-model").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is needed to validate catalog-info.yaml with Backstage's catalog model: install nodejs"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=BACKSTAGE_VALIDATOR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return BACKSTAGE_VALIDATOR / "validate.mjs"
