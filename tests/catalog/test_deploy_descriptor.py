"""The deploy template renders each service's Component and API into its GitOps entry: the committed
descriptors are current, and they say what the service repository's own catalog-info.yaml says."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from catalog_support import REPO_ROOT, SERVICES, backstage_validate, read_entities

from groundwork.scaffold import render

COMPARED = ("type", "lifecycle", "owner", "system", "providesApis", "consumesApis", "dependsOn")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's templates as a plain folder (Copier renders its working tree without cloning)."""
    copy = tmp_path_factory.mktemp("template")
    shutil.copy2(REPO_ROOT / "copier.yml", copy / "copier.yml")
    shutil.copytree(REPO_ROOT / "templates", copy / "templates")
    return copy


def answers(service: str) -> dict[str, Any]:
    data = yaml.safe_load((REPO_ROOT / "gitops" / "apps" / service / ".copier-answers.yml").read_text())
    return {key: value for key, value in data.items() if not key.startswith("_") and key != "template"}


def entities(path: Path) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(path.read_text()) if doc}


@pytest.mark.parametrize("service", SERVICES)
def test_committed_descriptor_is_current_and_agrees_with_the_service_repository(
    template: Path, tmp_path: Path, service: str
) -> None:
    data = answers(service)
    entry = render(str(template), "deploy", data, tmp_path / "entry")
    committed = REPO_ROOT / "gitops" / "apps" / service / "catalog-info.yaml"
    assert (entry / "catalog-info.yaml").read_text() == committed.read_text(), (
        "re-render the fleet (scripts/seed-fleet)"
    )
    service_keys = (
        "service_name",
        "owner_team",
        "domain",
        "description",
        "http_port",
        "downstreams",
        "container_registry",
        "gitops_repo",
    )
    service_keys += tuple(key for key in ("database", "events", "publishes", "consumes") if key in data)
    repo = render(str(template), "service", {k: data[k] for k in service_keys}, tmp_path / "repo")
    ours, theirs = entities(committed), entities(repo / "catalog-info.yaml")
    assert set(ours) == set(theirs) == {"Component", "API"}  # the last API of each: a topic's, if it has any
    for kind in ("Component", "API"):
        assert ours[kind]["metadata"]["name"] == theirs[kind]["metadata"]["name"]
        for key in COMPARED:
            assert ours[kind]["spec"].get(key) == theirs[kind]["spec"].get(key), (kind, key)
    assert ours["Component"]["spec"]["owner"] == f"group:{data['owner_team']}"
    assert ours["Component"]["spec"]["consumesApis" if data["downstreams"] else "providesApis"]


def test_an_exposed_service_says_where(template: Path, tmp_path: Path) -> None:
    data = {**answers("payment"), "expose": True, "public_host": "pay.example.com"}
    entry = render(str(template), "deploy", data, tmp_path / "entry")
    component = entities(entry / "catalog-info.yaml")["Component"]
    assert component["metadata"]["annotations"]["groundwork.dev/public-host"] == "pay.example.com"
    # Located where the lead commits it, gitops/apps/payment/ (the API definition is read from docs/).
    located = read_entities(entry / "catalog-info.yaml", located_at=REPO_ROOT / "gitops" / "apps" / "payment")
    result = backstage_validate(located)
    assert result.returncode == 0, result.stderr
