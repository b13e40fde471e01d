"""Helpers for the catalog tests: the repository root, a scratch copy of the catalog, Backstage's own validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from judges import ensure_backstage_validator

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "inventory", "notification", "order", "payment", "search", "user")


def read_entities(path: Path, located_at: Path | None = None) -> list[dict[str, Any]]:
    """The entities of a descriptor as Backstage's catalog processes them: a `$text` placeholder is replaced by
    the text of the file it names, relative to where the descriptor is located (`located_at`, default its own
    folder), before any validation."""
    base = located_at or path.parent
    entities = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for entity in entities:
        _resolve(entity, base)
    return entities


def _resolve(node: Any, base: Path) -> None:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in list(items):
        if isinstance(value, dict) and set(value) == {"$text"}:
            node[key] = (base / value["$text"]).read_text()
        else:
            _resolve(value, base)


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
