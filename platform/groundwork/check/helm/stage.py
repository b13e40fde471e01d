"""The Helm stage as the runner calls it: find Helm, render the add-on targets, hand back what came out."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from groundwork.check.helm.addons import addon_targets, helm_addons
from groundwork.check.helm.charts import ChartCache
from groundwork.check.helm.render import AddonRun, render_addons
from groundwork.check.model import Target
from groundwork.errors import GroundworkError
from groundwork.gitops.versions import load_pins, versions_file
from groundwork.paths import find_template_root

HELM_VARIABLE = "GROUNDWORK_HELM"
TOOL = "helm"


def gate_targets(discovered: list[Target], gitops: Path) -> list[Target]:
    """Everything the gate judges: the discovered overlays and folders, then the Helm add-ons."""
    return [*discovered, *addon_targets(gitops)]


def chart_archives(root: Path, gitops: Path) -> dict[str, Path]:
    """Where each add-on's pinned chart lies in the chart cache, by add-on name, whether it is there yet or not:
    the archive is one of the add-on's inputs (its arrival changes the verdict of an add-on not judged)."""
    try:
        pins = load_pins(versions_file(root))
    except GroundworkError:
        return {}  # the add-ons are judged (and the versions file reported) every time
    charts = ChartCache.default()
    return {addon.name: charts.path(pins[addon.chart_key]) for addon in helm_addons(gitops) if addon.chart_key in pins}


def find_helm(root: Path) -> tuple[Path | None, str]:
    """(helm, "") or (None, why not): $GROUNDWORK_HELM when set, else the helm that `tools.helm` of the
    versions file pins, built once from its Go module into ~/.cache/groundwork/bin/helm-<version>/
    (`groundwork.sandbox.toolchain`, the same builder as the sandbox's engines)."""
    configured = os.environ.get(HELM_VARIABLE)
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path, ""
        return None, f"${HELM_VARIABLE} is {configured}, which is not an executable file"
    from groundwork.sandbox.toolchain import Toolchain

    toolchain = None
    for repository in _pin_sources(root):
        with contextlib.suppress(GroundworkError):
            candidate = Toolchain.for_repository(repository)
            if TOOL in candidate.pins:
                toolchain = candidate
                break
    if toolchain is None:
        return None, f"no versions file pins tools.{TOOL} (gitops/versions.yaml)"
    try:
        return toolchain.build(TOOL, echo=lambda line: print(line, file=sys.stderr)) / TOOL, ""
    except GroundworkError as error:
        return None, f"helm {toolchain.pin(TOOL).version} could not be built from its Go module ({error})"


def _pin_sources(root: Path) -> list[Path]:
    """The checked repository's versions file, then that of the groundwork checkout the gate runs from."""
    sources = [root]
    with contextlib.suppress(GroundworkError):
        sources.append(find_template_root())
    return sources


def run_addons(targets: Sequence[Target], root: Path, gitops: Path, kube_version: str) -> AddonRun:
    if not targets:
        return AddonRun()
    helm, why = find_helm(root)
    return render_addons(targets, root, gitops, helm, kube_version, helm_missing=why)
