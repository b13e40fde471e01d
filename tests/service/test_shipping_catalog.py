"""Ownership files of a generated service: catalog-info.yaml judged by Backstage's own catalog model (the
`@backstage/catalog-model` validators the catalog runs, pinned in tests/service/backstage/), and CODEOWNERS."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from shipping_support import OTHER_REGISTRY, TWO_DOWNSTREAMS, render

from judges import ensure_backstage_validator


def backstage_validate(entities: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node is needed to run Backstage's catalog model: install nodejs"
    return subprocess.run(
        [node, str(ensure_backstage_validator())],
        input=json.dumps(entities),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def entities_of(project: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((project / "catalog-info.yaml").read_text(encoding="utf-8")) if doc]


@pytest.fixture(scope="module")
def two_downstreams(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("shipping-catalog") / "checkout", TWO_DOWNSTREAMS)


def test_catalog_info_is_valid_for_backstage_with_owner_system_and_apis(two_downstreams: Path) -> None:
    entities = entities_of(two_downstreams)
    result = backstage_validate(entities)
    assert result.returncode == 0, f"Backstage rejects catalog-info.yaml:\n{result.stderr}"
    resolved = {e["ref"]: e["refs"] for e in json.loads(result.stdout)["entities"]}
    assert set(resolved) == {"component:default/checkout", "api:default/checkout-api"}
    component = resolved["component:default/checkout"]
    assert component["owner"] == "group:default/team-checkout"
    assert component["system"] == "system:default/commerce"
    assert component["providesApis"] == ["api:default/checkout-api"]
    assert component["consumesApis"] == ["api:default/inventory-api", "api:default/payment-api"]
    assert resolved["api:default/checkout-api"]["owner"] == "group:default/team-checkout"


def test_component_metadata_and_annotations(two_downstreams: Path) -> None:
    component = next(e for e in entities_of(two_downstreams) if e["kind"] == "Component")
    assert "domain" not in component["spec"], "Backstage puts the domain on the System, not on a Component"
    assert component["metadata"]["description"] == TWO_DOWNSTREAMS["description"]
    annotations = component["metadata"]["annotations"]
    assert annotations["github.com/project-slug"] == "acme/checkout"
    assert annotations["groundwork.dev/domain"] == "commerce"
    assert annotations["backstage.io/kubernetes-label-selector"] == "app.kubernetes.io/name=checkout"
    api = next(e for e in entities_of(two_downstreams) if e["kind"] == "API")
    definition = yaml.safe_load(api["spec"]["definition"])
    assert {"/livez", "/readyz", "/startupz", "/metrics"} <= set(definition["paths"])


def test_no_downstreams_means_no_consumed_apis(tmp_path: Path) -> None:
    project = render(tmp_path / "svc", OTHER_REGISTRY)
    result = backstage_validate(entities_of(project))
    assert result.returncode == 0, result.stderr
    component = next(e for e in entities_of(project) if e["kind"] == "Component")
    assert "consumesApis" not in component["spec"]
    assert component["spec"]["owner"] == "group:team-platform"
    assert component["metadata"]["annotations"]["github.com/project-slug"] == "example-org/a-b-c"


def test_backstage_validator_rejects_a_broken_component(two_downstreams: Path) -> None:
    entities = entities_of(two_downstreams)
    component = next(e for e in entities if e["kind"] == "Component")
    del component["spec"]["owner"]
    result = backstage_validate(entities)
    assert result.returncode == 1
    assert "owner" in result.stderr


def test_codeowners_gives_everything_to_the_team(two_downstreams: Path) -> None:
    rules = [
        line.split()
        for line in (two_downstreams / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert rules == [["*", "@acme/team-checkout"]]
