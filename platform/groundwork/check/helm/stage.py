"""The Helm stage as the runner calls it: find Helm, render the add-on targets, hand back what came out."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from groundwork.check.helm.addons import addon_targets
from groundwork.check.helm.render import AddonRun, render_addons
from groundwork.check.model import Target

HELM_VARIABLE = "GROUNDWORK_HELM"


def gate_targets(discovered: list[Target], gitops: Path) -> list[Target]:
    """Everything the gate judges: the discovered overlays and folders, then the Helm add-ons."""
    return [*discovered, *addon_targets(gitops)]


def find_helm() -> tuple[Path | None, str]:
    """(helm, "") or (None, why not): $GROUNDWORK_HELM, else `helm` on PATH."""
    configured = os.environ.get(HELM_VARIABLE)
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path, ""
        return None, f"${HELM_VARIABLE} is {configured}, which is not an executable file"
    found = shutil.which("helm")
    if found:
        return Path(found), ""
    return None, f"helm is not installed (set ${HELM_VARIABLE} or put helm on PATH)"


def run_addons(targets: Sequence[Target], root: Path, gitops: Path, kube_version: str) -> AddonRun:
    if not targets:
        return AddonRun()
    helm, why = find_helm()
    return render_addons(targets, root, gitops, helm, kube_version, helm_missing=why)
