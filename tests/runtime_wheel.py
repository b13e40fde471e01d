"""groundwork-runtime built from this checkout, for the services the tests render: they pin it exactly
(copier.yml runtime_version), and `uv lock` / `uv sync` find it through UV_FIND_LINKS instead of the package
index, so no test needs the network or a published release. Built once per content of runtime/ and kept in
~/.cache/groundwork/runtime-dist/<digest>/."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from filelock import FileLock

from render_support import REPO_ROOT

RUNTIME = REPO_ROOT / "runtime"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "groundwork" / "runtime-dist"


def _digest() -> str:
    digest = hashlib.sha256()
    for file in sorted(RUNTIME.rglob("*")):
        parts = file.relative_to(RUNTIME).parts
        if file.is_file() and not {"dist", "__pycache__", ".pytest_cache"} & set(parts):
            digest.update(file.relative_to(RUNTIME).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def runtime_wheels() -> Path:
    """The folder holding this checkout's groundwork-runtime wheel and sdist (built on first use)."""
    folder = CACHE / _digest()
    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(CACHE / ".lock")):
        if not any(folder.glob("*.whl")):
            done = subprocess.run(
                ["uv", "build", str(RUNTIME), "--out-dir", str(folder), "--quiet"],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"uv build runtime failed:\n{done.stderr}")
    return folder
