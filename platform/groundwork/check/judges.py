"""The external judges the gate cannot run without, looked for before anything runs."""

from __future__ import annotations

import shutil

from groundwork.check.errors import ToolMissing
from groundwork.check.render import find_kubectl
from groundwork.check.rules.promtool import find_promtool


def require_judges() -> None:
    """kubectl (kustomize), promtool and uvx (checkov) must all be there: a gate that skips a stage would pass
    what it never saw, and one that passes only because every verdict was cached would pass on a machine that
    cannot judge the next change."""
    find_kubectl()
    find_promtool()
    if shutil.which("uvx") is None:
        raise ToolMissing("uvx is not installed, so checkov cannot run", "install uv (https://docs.astral.sh/uv/)")
