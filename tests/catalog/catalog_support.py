"""Helpers for the catalog tests: the repository root, a scratch copy of the catalog, Backstage's own validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from judges import ensure_backstage_validator

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "inventory", "notification", "order", "payment", "search", "user")


def copy_catalog(dest: Path) -> Path:
    """The root catalog-info.yaml, catalog/ and every GitOps entry's catalog-info.yaml, under `dest`."""
    shutil.copy2(REPO_ROOT / "catalog-info.yaml", dest / "catalog-info.yaml")
    shutil.copytree(REPO_ROOT / "catalog", dest / "catalog")
    for service in SERVICES:
        target = dest / "gitops" / "apps" / service
        target.mkdir(parents=True)
        shutil.copy2(REPO_ROOT / "gitops" / "apps" / service / "catalog-info.yaml", target / "catalog-info.yaml")
    return dest


def backstage_validate(entities: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    """Backstage's catalog model (pinned in tests/service/backstage) judging `entities`."""
    node = shutil.which("node")
    assert node, "node is needed to run Backstage's catalog model: install nodejs"
    validator = ensure_backstage_validator()
    return subprocess.run(
        [node, str(validator)],
        input=json.dumps(entities),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
