"""The source index walks each kustomization once per run and shares the walk between overlays; what it finds
for an overlay does not depend on which overlays it walked before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from groundwork.check.sources import SourceIndex


def _kustomization(folder: Path, **content: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(content), encoding="utf-8")
    return folder


def _object(folder: Path, file: str, kind: str, name: str) -> None:
    (folder / file).write_text(yaml.safe_dump({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}))


def test_a_shared_base_is_found_through_every_path_to_it(tmp_path: Path) -> None:
    """overlay-a reaches the base directly and through the component; overlay-b only through the component.
    Walking overlay-a first must not leave the component's walk without the base."""
    base = _kustomization(tmp_path / "base", resources=["deployment.yaml"])
    _object(base, "deployment.yaml", "Deployment", "web")
    component = _kustomization(tmp_path / "component", resources=["../base", "service.yaml"])
    _object(component, "service.yaml", "Service", "web")
    first = _kustomization(tmp_path / "overlay-a", resources=["../base", "../component"])
    second = _kustomization(tmp_path / "overlay-b", resources=["../component"])
    index = SourceIndex()
    for overlay in (first, second, first):
        found = index.sources(overlay)
        assert found == SourceIndex().sources(overlay)
        assert found[("Deployment", "web")] == (base / "deployment.yaml").resolve()
        assert found[("Service", "web")] == (component / "service.yaml").resolve()


def test_a_cycle_is_cut_and_not_remembered_cut(tmp_path: Path) -> None:
    one = _kustomization(tmp_path / "one", resources=["../two", "a.yaml"])
    two = _kustomization(tmp_path / "two", resources=["../one", "b.yaml"])
    _object(one, "a.yaml", "ConfigMap", "a")
    _object(two, "b.yaml", "ConfigMap", "b")
    index = SourceIndex()
    for folder in (one, two):
        assert set(index.sources(folder)) == {("ConfigMap", "a"), ("ConfigMap", "b")}
