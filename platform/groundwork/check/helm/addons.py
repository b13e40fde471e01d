"""The Helm add-ons Argo CD installs, read from the ApplicationSets of gitops/bootstrap.

Every ApplicationSet that a kustomization of gitops/bootstrap includes and whose Application template has a
Helm chart source is one add-on: the chart comes from `gitops/versions.yaml` (the source names
`{{ .charts.<key>.chart }}`), the release name, value files and inline values from the source's `helm`
block, the namespace from the destination. Its Go-template expressions (the cluster Secret's labels and
annotations) are evaluated later, by Helm's own template engine (`helm.render`), against the gate's cluster
(`policies/helm/cluster.yaml`), so what is rendered is what Argo CD would render on such a cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from groundwork.check.discover import kustomization_file
from groundwork.check.model import NO_ENV, Target
from groundwork.paths import BOOTSTRAP_DIR, ENVIRONMENTS, GITOPS_DIR

VALUES_REF = "$values/"  # Argo CD's multi-source reference to this repository (`ref: values`)
ENVIRONMENT_EXPRESSION = re.compile(r"\{\{-?\s*\.metadata\.labels\.environment\s*-?\}\}")
_CHART_KEY = re.compile(r"\.charts\.([a-z][a-z0-9_]*)\.chart")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class HelmAddon:
    """One chart add-on as its ApplicationSet declares it (templates not yet evaluated)."""

    name: str
    chart_key: str  # entry of gitops/versions.yaml `charts:`
    release: str
    namespace: str
    value_files: tuple[str, ...]  # repository-relative, may hold `{{ .metadata.labels.environment }}`
    ignore_missing: bool
    values: str  # `helm.values`: a YAML string, may hold template expressions
    values_object: str  # `helm.valuesObject` dumped to YAML, may hold template expressions
    appset: Path  # the ApplicationSet's file
    folder: Path  # where its values live (the first value file's folder)


def helm_addons(gitops: Path) -> list[HelmAddon]:
    """Every chart add-on of the bootstrap tree, by name."""
    found: dict[str, HelmAddon] = {}
    for file in _bootstrap_files(gitops / BOOTSTRAP_DIR):
        try:
            documents = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=_Loader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # the render stage reports it
        for document in documents:
            addon = _addon(document, file, gitops.parent)
            if addon is not None:
                found.setdefault(addon.name, addon)
    return [found[name] for name in sorted(found)]


def addon_targets(gitops: Path) -> list[Target]:
    """One target per add-on (NO_ENV), plus one per environment that has its own values file."""
    targets: list[Target] = []
    for addon in helm_addons(gitops):
        targets.append(Target(addon.name, NO_ENV, addon.folder, "helm", slug=f"helm__{addon.name}"))
        for env in ENVIRONMENTS:
            if any(
                ENVIRONMENT_EXPRESSION.search(f) and (gitops.parent / env_file(f, env)).is_file()
                for f in addon.value_files
            ):
                targets.append(Target(addon.name, env, addon.folder, "helm", slug=f"helm__{addon.name}__{env}"))
    return targets


def env_file(value_file: str, env: str) -> str:
    return ENVIRONMENT_EXPRESSION.sub(env, value_file)


def _bootstrap_files(bootstrap: Path) -> list[Path]:
    """The YAML files the bootstrap kustomizations list (recursively), in order."""
    files: list[Path] = []
    seen: set[Path] = set()

    def walk(folder: Path) -> None:
        if folder in seen:
            return
        seen.add(folder)
        file = kustomization_file(folder)
        try:
            content = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader) if file else None  # noqa: S506
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return
        for entry in content.get("resources") or [] if isinstance(content, dict) else []:
            if not isinstance(entry, str) or "://" in entry:
                continue
            path = (folder / entry).resolve()
            if path.is_dir():
                walk(path)
            elif path.is_file():
                files.append(path)

    if bootstrap.is_dir():
        walk(bootstrap.resolve())
    return files


def _addon(document: Any, file: Path, root: Path) -> HelmAddon | None:
    if not isinstance(document, dict) or document.get("kind") != "ApplicationSet":
        return None
    template = _get(document, "spec", "template")
    spec = _get(template, "spec")
    sources = _get(spec, "sources") or ([_get(spec, "source")] if _get(spec, "source") else [])
    chart_source = next((s for s in sources if isinstance(s, dict) and s.get("chart")), None)
    if chart_source is None:
        return None
    key = _CHART_KEY.search(str(chart_source.get("chart")))
    if key is None:
        return None
    helm: dict[str, Any] = chart_source["helm"] if isinstance(chart_source.get("helm"), dict) else {}
    labels = _get(template, "metadata", "labels") or {}
    name = str(labels.get("groundwork.dev/addon") or helm.get("releaseName") or key.group(1))
    value_files = tuple(
        str(f)[len(VALUES_REF) :] if str(f).startswith(VALUES_REF) else str(f) for f in helm.get("valueFiles") or []
    )
    first = next((f for f in value_files if not ENVIRONMENT_EXPRESSION.search(f)), None)
    folder = (root / first).parent if first else root / GITOPS_DIR
    values_object = helm.get("valuesObject")
    return HelmAddon(
        name=name,
        chart_key=key.group(1),
        release=str(helm.get("releaseName") or name),
        namespace=str(_get(spec, "destination", "namespace") or "default"),
        value_files=value_files,
        ignore_missing=bool(helm.get("ignoreMissingValueFiles")),
        values=str(helm.get("values") or ""),
        values_object=yaml.safe_dump(values_object, sort_keys=False) if isinstance(values_object, dict) else "",
        appset=file,
        folder=folder.resolve(),
    )


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
