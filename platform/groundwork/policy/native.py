"""Run the groundwork-native checks over rendered output, one app/env group at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from groundwork.errors import GroundworkError
from groundwork.policy import appset_project, authorization, credentials, databases, disruption, network, previews
from groundwork.policy.violation import Document, NativeCheck, Violation

NATIVE_CHECKS: tuple[NativeCheck, ...] = (
    disruption.CHECK,
    authorization.CHECK,
    appset_project.CHECK,
    network.CHECK,
    previews.CHECK,
    databases.CHECK,
    credentials.CHECK,
)


def run_native_checks(
    groups: Mapping[str, Sequence[Document]], checks: Sequence[NativeCheck] = NATIVE_CHECKS
) -> list[Violation]:
    """Judge each group (one rendered app/env: the documents one `kustomize build` produced) on its own, so
    a PodDisruptionBudget of one environment never satisfies a Deployment of another."""
    violations: list[Violation] = []
    for group in sorted(groups):
        documents = groups[group]
        for check in checks:
            for resource, message, *path in check.judge(documents):
                violations.append(Violation(check.check_id, check.name, group, resource, message, *path))
    return violations


def load_rendered_dir(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """The rendered `<app>__<env>.yaml` files of `directory`, each a group named after its file."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            raise GroundworkError(f"{where} is not valid YAML", "fix the manifest that renders it") from None
        groups[path.name] = [d for d in documents if isinstance(d, dict)]
    return groups
