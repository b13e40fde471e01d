"""A malformed catalog file stops loading with one line, `file:line: problem`, naming where it is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from catalog_support import copy_catalog

from groundwork.catalog.errors import CatalogError
from groundwork.catalog.load import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]

TEAM_EDGE = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-edge
spec:
  type: team
  children: []
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


CASES = {
    # (file, old, new, needle on the reported line, words in the message)
    "yaml-syntax": (
        "catalog/domains.yaml",
        "  owner: group:team-identity\n",
        "  owner: group:team-identity: yes\n",
        "team-identity: yes",
        ("invalid YAML", "mapping values are not allowed"),
    ),
    "unclosed-flow-sequence": (
        "catalog/domains.yaml",
        "  owner: group:team-identity\n",
        "  owner: [group:team-identity\n",
        "[group:team-identity",  # reported where the sequence opens, not where the parser gives up
        ("invalid YAML", "flow sequence", "did not find expected"),
    ),
    "duplicate-key": (
        "catalog/systems.yaml",
        "  domain: domain:payments\n",
        "  domain: domain:payments\n  domain: domain:edge  # again\n",
        "# again",
        ("key 'domain' appears twice",),
    ),
    "no-kind": (
        "gitops/apps/order/catalog-info.yaml",
        "kind: Component\n",
        "kinds: Component\n",
        "apiVersion:",  # the document, which has no kind
        ("kind None",),
    ),
    "bad-name": (
        "catalog/users.yaml",
        "  name: hana.sato\n",
        "  name: hana sato\n",
        "name: hana sato",
        ("metadata.name", "not a Backstage entity name"),
    ),
    "owner-not-a-string": (
        "gitops/apps/payment/catalog-info.yaml",
        "  owner: group:team-payments\n",
        "  owner:\n    - group:team-payments\n",
        "owner:",
        ("spec.owner is not a string",),
    ),
    "apis-not-a-list": (
        "gitops/apps/search/catalog-info.yaml",
        "  consumesApis:\n    - inventory-api\n",
        "  consumesApis: inventory-api\n",
        "consumesApis: inventory-api",
        ("spec.consumesApis is not a list",),
    ),
    "bad-reference": (
        "gitops/apps/gateway/catalog-info.yaml",
        "    - order-api\n",
        "    - api:order:api\n",
        "api:order:api",
        ("is not an entity reference",),
    ),
    "annotation-not-a-string": (
        "catalog/groups.yaml",
        "    groundwork.dev/on-call: https://oncall.example.com/schedules/team-payments\n",
        "    groundwork.dev/on-call: https://oncall.example.com/schedules/team-payments\n"
        "    groundwork.dev/platform-supported: true\n",
        "platform-supported: true",
        ("is not a string", "quote it"),
    ),
    "missing-target": (
        "catalog-info.yaml",
        "    - ./catalog/systems.yaml\n",
        "    - ./catalog/systems.yaml\n    - ./catalog/teams.yaml\n",
        "./catalog/teams.yaml",
        ("target ./catalog/teams.yaml does not exist",),
    ),
    "not-backstage": (
        "catalog/domains.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: edge\n",
        "apiVersion: v1\nkind: Domain\nmetadata:\n  name: edge\n",
        "apiVersion: v1",
        ("not a Backstage one",),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_catalog_names_file_and_line(tmp_path: Path, case: str) -> None:
    file, old, new, needle, words = CASES[case]
    copy_catalog(tmp_path)
    _edit(tmp_path / file, old, new)
    with pytest.raises(CatalogError) as raised:
        load_catalog(tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    assert raised.value.file == file
    assert raised.value.line == _line_of(tmp_path / file, needle), message
    assert message.startswith(f"{file}:{raised.value.line}: ")
    for word in words:
        assert word in message


def test_a_group_defined_twice_is_a_conflict(tmp_path: Path) -> None:
    copy_catalog(tmp_path)
    extra = tmp_path / "catalog" / "more-groups.yaml"
    extra.write_text(TEAM_EDGE)
    _edit(
        tmp_path / "catalog-info.yaml",
        "    - ./catalog/users.yaml\n",
        "    - ./catalog/users.yaml\n    - ./catalog/more-groups.yaml\n",
    )
    with pytest.raises(CatalogError) as raised:
        load_catalog(tmp_path)
    assert str(raised.value).startswith(
        "catalog/more-groups.yaml:1: Group team-edge is already defined at catalog/groups.yaml:"
    )


def test_a_second_component_descriptor_is_kept_as_a_claim(tmp_path: Path) -> None:
    copy_catalog(tmp_path)
    legacy = tmp_path / "catalog" / "legacy.yaml"
    legacy.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payment\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: group:team-commerce\n"
    )
    _edit(
        tmp_path / "catalog-info.yaml",
        "    - ./catalog/users.yaml\n",
        "    - ./catalog/users.yaml\n    - ./catalog/legacy.yaml\n",
    )
    catalog = load_catalog(tmp_path)
    descriptors = catalog.components["payment"]
    # The GitOps entry's descriptor counts, wherever the other one is located.
    assert [str(d.owner) for d in descriptors] == ["group:team-payments", "group:team-commerce"]
    assert catalog.component("payment") is descriptors[0]
    assert str(descriptors[1].at("spec", "owner")) == "catalog/legacy.yaml:8"


def test_no_root_catalog_info(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"^catalog-info.yaml:1: the repository has no root catalog-info.yaml"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("  consumesApis:\n", "  consumesAPIs:\n", "unknown key 'spec.consumesAPIs': did you mean 'consumesApis'?"),
        ("  dependsOn:\n", "  depends_on:\n", "unknown key 'spec.depends_on': did you mean 'dependsOn'?"),
        ("  annotations:\n", "  anotations:\n", "unknown key 'metadata.anotations': did you mean 'annotations'?"),
        ("spec:\n  type: service", "sepc:\n  type: service", "unknown key 'sepc': did you mean 'spec'?"),
    ],
)
def test_an_unknown_key_is_named_with_its_line_and_the_closest_known_key(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for part in ("catalog-info.yaml", "catalog", "gitops"):
        source = REPO_ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    descriptor = root / "gitops" / "apps" / "order" / "catalog-info.yaml"
    text = descriptor.read_text()
    assert old in text
    descriptor.write_text(text.replace(old, new, 1))
    with pytest.raises(CatalogError) as raised:
        load_catalog(root)
    line = next(n for n, content in enumerate(descriptor.read_text().splitlines(), 1) if content == new.split("\n")[0])
    assert str(raised.value) == f"gitops/apps/order/catalog-info.yaml:{line}: {says}"
