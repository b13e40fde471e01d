"""Limits the API server and kustomize impose, and files nothing renders, reported before a sync finds them.

- An object larger than the API server accepts in one request (1.5 MiB, etcd's default request limit), and a
  ConfigMap or Secret whose data (data + binaryData) exceeds 1 MiB, the limit the Kubernetes docs give for
  them: `GW_LIMIT_OBJECT_SIZE`, `GW_LIMIT_CONFIG_DATA_SIZE`.
- A YAML or JSON file under gitops/apps/<app>/ that no kustomization of the app reaches (resources, patches,
  generators, components): Argo CD would never apply it, and the gate would never have judged it
  (`unreached-file`). A kustomize Component's folder counts as reached: it is opt-in by design.
  `catalog-info.yaml` is Backstage's (the root catalog-info.yaml locates it), not kustomize's.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from groundwork.check.discover import load_kustomization, resolved
from groundwork.check.model import NO_ENV, Document, Finding, Stage, Target
from groundwork.check.sourcefiles import reached_files
from groundwork.paths import CATALOG_FILE

MiB = 1024 * 1024
OBJECT_LIMIT_BYTES = 3 * MiB // 2
CONFIG_DATA_LIMIT_BYTES = MiB
OBJECT_RULE = "GW_LIMIT_OBJECT_SIZE"
CONFIG_DATA_RULE = "GW_LIMIT_CONFIG_DATA_SIZE"
UNREACHED_RULE = "unreached-file"
SOURCE_SUFFIXES = (".yaml", ".yml", ".json")
NOT_KUSTOMIZE = frozenset({CATALOG_FILE})  # read by Backstage through the root catalog-info.yaml


def size_findings(documents: Sequence[Document]) -> list[Finding]:
    findings: list[Finding] = []
    for document in documents:
        if document.kind in ("ConfigMap", "Secret"):
            size = _data_size(document.body)
            if size > CONFIG_DATA_LIMIT_BYTES:
                message = (
                    f"{document.kind} data is {_mib(size)} MiB, over the 1 MiB a {document.kind} may hold: mount "
                    "large files from a volume or an object store instead"
                )
                findings.append(Finding.about(document, Stage.POLICY, CONFIG_DATA_RULE, message, ("data",)))
                continue
        size = len(json.dumps(document.body, separators=(",", ":"), default=str).encode())
        if size > OBJECT_LIMIT_BYTES:
            message = (
                f"the object is {_mib(size)} MiB as JSON, over the API server's 1.5 MiB request limit: split it "
                "or move its bulk out of the manifest"
            )
            findings.append(Finding.about(document, Stage.POLICY, OBJECT_RULE, message))
    return findings


def _data_size(body: Mapping[str, Any]) -> int:
    total = 0
    for key in ("data", "stringData"):
        values = body.get(key)
        if isinstance(values, Mapping):
            for name, value in values.items():
                total += len(str(name).encode()) + len(str(value).encode())
    binary = body.get("binaryData")
    if isinstance(binary, Mapping):
        for name, value in binary.items():
            try:
                total += len(str(name).encode()) + len(base64.b64decode(str(value), validate=False))
            except (binascii.Error, ValueError):
                total += len(str(value).encode())
    return total


def _mib(size: int) -> str:
    return f"{size / MiB:.1f}"


def _components(folder: Path) -> list[Path]:
    """Folders of the app holding a kustomize Component: an opt-in unit an overlay may add (the template's
    high-availability component before the app has staging and prod), judged once an overlay lists it."""
    found = []
    for file in sorted(folder.rglob("kustomization.y*ml")):
        content = load_kustomization(file.parent)
        if isinstance(content, dict) and content.get("kind") == "Component":
            found.append(file.parent)
    return found


def unreached_findings(targets: Sequence[Target], apps_dir: Path) -> list[Finding]:
    """Files under each app's folder that none of its rendered kustomizations reaches."""
    by_app: dict[str, list[Target]] = {}
    for target in targets:
        if target.service and target.mode == "kustomize":
            by_app.setdefault(target.app, []).append(target)
    findings: list[Finding] = []
    for app, app_targets in sorted(by_app.items()):
        folder = apps_dir / app
        reached = {path for target in app_targets for path in reached_files(target.path)}
        reached |= {path for component in _components(folder) for path in reached_files(component)}
        for path in sorted(folder.rglob("*")):
            if (
                path.is_file()
                and path.suffix in SOURCE_SUFFIXES
                and path.name not in NOT_KUSTOMIZE
                and not any(part.startswith(".") for part in path.relative_to(folder).parts)
                and resolved(path) not in reached
            ):
                message = (
                    "no kustomization of the app reaches this file, so Argo CD never applies it and the gate never "
                    "judged it: list it in a kustomization (resources, patches, a generator), or delete it"
                )
                finding = Finding(app, NO_ENV, path, Stage.RENDER, UNREACHED_RULE, message, "", folder)
                findings.append(replace(finding, line=1))
    return findings
