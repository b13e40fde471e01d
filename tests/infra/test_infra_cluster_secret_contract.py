"""The cluster Secret the infrastructure writes satisfies the ApplicationSets of gitops/bootstrap: for each
ApplicationSet a stack enables, every annotation and label its templates read without a default is there.

ApplicationSets use `missingkey=error`, so a missing annotation fails that add-on's generation on the cluster;
this test catches it in CI instead, from both sides of the contract (gitops/ and groundwork.infra)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from infra_harness import run_program
from infra_stacks import REPO_ROOT, repository_inputs, stack_settings

from groundwork.infra.program import build

BOOTSTRAP = REPO_ROOT / "gitops" / "bootstrap"
# `.metadata.annotations.<key>` is required; `index .metadata.annotations "<key>" | default ...` is optional.
REQUIRED_ANNOTATION = re.compile(r"\.metadata\.annotations\.([A-Za-z0-9_]+)")
REQUIRED_LABEL = re.compile(r"\.metadata\.labels\.([A-Za-z0-9_]+)")
# What a template reads only under a condition (`{{ if ... }} ... {{ end }}`) is not required.
CONDITIONAL = re.compile(r"\{\{-?\s*if\b.*?\{\{-?\s*end\s*-?\}\}", re.S)


def application_sets() -> list[tuple[Path, dict[str, object], str]]:
    found = []
    for path in sorted(BOOTSTRAP.rglob("*.yaml")):
        text = path.read_text()
        for document in yaml.safe_load_all(text):
            if isinstance(document, dict) and document.get("kind") == "ApplicationSet":
                found.append((path, document, CONDITIONAL.sub("", yaml.safe_dump(document, width=1000))))
    return found


def selected(document: dict[str, object], labels: dict[str, str]) -> bool:
    """Whether the cluster generator(s) of `document` select a cluster with `labels`."""
    text = yaml.safe_dump(document)
    wanted = {key: value for key, value in re.findall(r"\b(enable_[a-z_]+): ['\"]?(\w+)", text)}
    if any(labels.get(key) != value for key, value in wanted.items()):
        return False
    if "key: environment" in text:
        return labels.get("environment") in ("dev", "staging", "prod")
    return True


@pytest.mark.parametrize("stack", ["kind", "eks"])
def test_enabled_application_sets_find_every_annotation_they_read(stack: str) -> None:
    settings = stack_settings(stack)
    run = run_program(stack, lambda: build(settings, repository_inputs()))
    metadata = run.one("kubernetes:core/v1:Secret").value("metadata")
    labels, annotations = metadata["labels"], metadata["annotations"]
    checked = 0
    for path, document, text in application_sets():
        if not selected(document, labels):
            continue
        checked += 1
        missing = set(REQUIRED_ANNOTATION.findall(text)) - set(annotations)
        assert not missing, f"{path.relative_to(REPO_ROOT)} reads annotations the {stack} cluster lacks: {missing}"
        missing_labels = set(REQUIRED_LABEL.findall(text)) - set(labels)
        assert not missing_labels, f"{path.relative_to(REPO_ROOT)} reads labels the {stack} cluster lacks"
    assert checked >= 5  # projects, argocd, apps and the enabled add-ons
