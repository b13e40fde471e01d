"""check/validate/crd_schemas.py: operator kinds against their upstream CRDs, closed to unknown fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from groundwork.check.validate import crd_schemas
from groundwork.errors import GroundworkError, ToolMissing

REPO = Path(__file__).resolve().parents[2]
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "spec": {
        "group": "postgresql.cnpg.io",
        "names": {"kind": "Cluster"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "metadata": {"type": "object"},
                            "spec": {
                                "type": "object",
                                "required": ["instances"],
                                "properties": {
                                    "instances": {"type": "integer", "minimum": 1},
                                    "postgresql": {
                                        "type": "object",
                                        "properties": {
                                            "parameters": {"type": "object", "additionalProperties": {"type": "string"}}
                                        },
                                    },
                                    "plugins": {
                                        "type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True,
                                        "properties": {"name": {"type": "string"}},
                                    },
                                },
                            },
                        },
                    }
                },
            },
            {"name": "v0", "served": False, "schema": {"openAPIV3Schema": {"type": "object"}}},
        ],
    },
}


def _cluster(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "a-db"}, "spec": spec}


@pytest.fixture
def schemas(tmp_path: Path) -> crd_schemas.CrdSchemas:
    folder = tmp_path / "config" / "crd" / "bases"
    folder.mkdir(parents=True)
    (folder / "postgresql.cnpg.io_clusters.yaml").write_text(yaml.safe_dump(CRD))
    return crd_schemas.CrdSchemas(locate=lambda tool: tmp_path)


def test_a_valid_cluster_passes_and_open_maps_stay_open(schemas: crd_schemas.CrdSchemas) -> None:
    assert schemas.errors(_cluster(instances=1, postgresql={"parameters": {"work_mem": "8MB"}})) == []
    assert schemas.errors(_cluster(instances=1, plugins={"name": "x", "anything": {"goes": 1}})) == []


def test_unknown_fields_are_named_at_every_level(schemas: crd_schemas.CrdSchemas) -> None:
    assert schemas.errors(_cluster(instances=1, instancess=2)) == ["spec.instancess: unknown field (not in the schema)"]
    assert schemas.errors({**_cluster(instances=1), "sepc": {}}) == ["sepc: unknown field (not in the schema)"]
    assert schemas.errors(_cluster(instances=1, postgresql={"parameter": {}})) == [
        "spec.postgresql.parameter: unknown field (not in the schema)"
    ]


def test_wrong_values_and_missing_fields_fail(schemas: crd_schemas.CrdSchemas) -> None:
    (error,) = schemas.errors(_cluster(instances=0)) or []
    assert error.startswith("spec.instances: 0 is less than the minimum of 1")
    (error,) = schemas.errors(_cluster()) or []
    assert error == "spec: 'instances' is a required property"


def test_a_kind_or_version_the_crds_do_not_serve_has_no_validator(schemas: crd_schemas.CrdSchemas) -> None:
    assert schemas.errors({**_cluster(instances=1), "kind": "Pooler"}) is None
    assert schemas.errors({**_cluster(instances=1), "apiVersion": "postgresql.cnpg.io/v0"}) is None


def test_no_crd_in_the_module_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GroundworkError, match=r"no CRD matching postgresql\.cnpg\.io_\*\.yaml in .*config/crd/bases"):
        crd_schemas.CrdSchemas(locate=lambda tool: tmp_path).errors(_cluster(instances=1))


def test_the_dispatcher_routes_cloudnative_pg_kinds_here() -> None:
    assert crd_schemas.handles("postgresql.cnpg.io/v1")
    assert not crd_schemas.handles("postgresql.cnpg.io")
    assert not crd_schemas.handles("apps/v1")
    assert crd_schemas.rule_for("postgresql.cnpg.io/v1") == "cloudnative-pg-schema"


def test_without_go_the_module_cannot_be_read_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crd_schemas.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing, match=r"^go is needed to read the CRDs of tools\.cloudnative_pg") as raised:
        crd_schemas.CrdSchemas().errors(_cluster(instances=1))
    assert "\n" not in str(raised.value)


def test_the_checked_repositorys_pin_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As for helm: the module version the checked repository pins, else the groundwork checkout's."""
    from groundwork.sandbox.toolchain import Toolchain

    monkeypatch.setattr(Toolchain, "source_dir", lambda self, name: Path(self.pin(name).version))
    own = tmp_path / "own"
    (own / "gitops").mkdir(parents=True)
    (own / "gitops" / "versions.yaml").write_text(
        "tools:\n  cloudnative_pg:\n    module: github.com/cloudnative-pg/cloudnative-pg\n    version: v1.29.1\n"
    )
    assert crd_schemas.module_dir("cloudnative_pg", own) == Path("v1.29.1")
    pinned = yaml.safe_load((REPO / "gitops" / "versions.yaml").read_text())["tools"]["cloudnative_pg"]["version"]
    assert crd_schemas.module_dir("cloudnative_pg", tmp_path / "no-pins") == Path(pinned)
