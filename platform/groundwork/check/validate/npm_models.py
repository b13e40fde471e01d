"""Argo CD kinds (Application, ApplicationSet, AppProject) and External Secrets kinds, judged by the npm
packages `@kubernetes-models/argo-cd` and `@kubernetes-models/external-secrets` in one node process per run,
plus an unknown-field check those packages lack (see `argocd/validate.mjs`).

The npm packages are pinned by `argocd/package.json` + `package-lock.json` and installed with `npm ci` on first
use into a cache folder named after the hash of those files (`$XDG_CACHE_HOME/groundwork`, default
`~/.cache/groundwork`), so a change of pins installs afresh and nothing is written into the checkout.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from groundwork.check.cache import cache_root
from groundwork.errors import ToolBroken, ToolMissing, last_line

# API group -> the rule id its findings carry.
GROUPS = {
    "argoproj.io": "argo-cd-schema",
    "external-secrets.io": "external-secrets-schema",
    "generators.external-secrets.io": "external-secrets-schema",
}
SOURCE_DIR = Path(__file__).resolve().parent.parent / "argocd"
FILES = ("package.json", "package-lock.json", "validate.mjs")
INSTALLED_MARKER = ".groundwork-installed"
NODE_TIMEOUT_SECONDS = 300
NPM_TIMEOUT_SECONDS = 600


def handles(api_version: str) -> bool:
    return api_version.split("/", 1)[0] in GROUPS and "/" in api_version


def rule_for(api_version: str) -> str:
    return GROUPS.get(api_version.split("/", 1)[0], "schema")


def ensure_installed(cache: Path | None = None) -> Path:
    """The folder holding validate.mjs with its node_modules, installing it with `npm ci` if needed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise ToolMissing(
            "node and npm are needed to validate Argo CD and External Secrets kinds but are not installed",
            "install Node.js 20 or newer (e.g. apt-get install nodejs npm)",
        )
    digest = hashlib.sha256(b"".join((SOURCE_DIR / name).read_bytes() for name in FILES)).hexdigest()[:16]
    home = (cache or cache_root()) / f"argocd-validator-{digest}"
    if (home / INSTALLED_MARKER).is_file():
        return home
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".argocd-validator-", dir=home.parent))
    try:
        for name in FILES:
            shutil.copyfile(SOURCE_DIR / name, staging / name)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            check=False,
            timeout=NPM_TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            raise ToolBroken(
                f"'npm ci' for the Argo CD validator failed: {last_line(done.stderr)}",
                f"check access to the npm registry, or run 'npm ci' in {SOURCE_DIR} to see why",
            )
        (staging / INSTALLED_MARKER).write_text(digest)
        try:
            staging.rename(home)
        except OSError:  # another run installed it meanwhile
            if not (home / INSTALLED_MARKER).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home


def validate_batch(bodies: Sequence[dict[str, Any]], home: Path) -> list[list[str] | None]:
    """One result per body: its problems ([] when valid), or None when no model has its kind."""
    if not bodies:
        return []
    node = shutil.which("node")
    if node is None:
        raise ToolMissing(
            "node is needed to validate Argo CD kinds but is not installed", "install Node.js 20 or newer"
        )
    try:
        done = subprocess.run(
            [node, str(home / "validate.mjs")],
            input=json.dumps(list(bodies), default=str),
            capture_output=True,
            text=True,
            check=False,
            timeout=NODE_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise ToolBroken(f"the Argo CD validator did not finish in {NODE_TIMEOUT_SECONDS} s") from None
    try:
        verdicts = json.loads(done.stdout) if done.returncode == 0 else None
    except json.JSONDecodeError:
        verdicts = None
    if not isinstance(verdicts, list) or len(verdicts) != len(bodies):
        raise ToolBroken(f"the Argo CD validator (node) failed: {last_line(done.stderr or done.stdout)}")
    return [[str(e) for e in v.get("errors", [])] if v.get("known") else None for v in verdicts]
