"""The repository's catalog: every located entity passes Backstage's own catalog model, every reference
resolves, and the root Location reaches every catalog file and every service's descriptor."""

from __future__ import annotations

import json

import pytest
from catalog_support import REPO_ROOT, SERVICES, backstage_validate, read_entities

from groundwork.catalog.entities import Component, Group, Ref, User
from groundwork.catalog.load import Catalog, load_catalog, unlocated


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(REPO_ROOT)


def test_root_location_reaches_every_catalog_file(catalog: Catalog) -> None:
    assert unlocated(catalog) == []
    assert {f"gitops/apps/{s}/catalog-info.yaml" for s in SERVICES} <= set(catalog.files)
    assert {"catalog/groups.yaml", "catalog/users.yaml", "catalog/domains.yaml", "catalog/systems.yaml"} <= set(
        catalog.files
    )


def test_backstage_accepts_every_located_entity(catalog: Catalog) -> None:
    entities = [doc for file in catalog.files for doc in read_entities(REPO_ROOT / file)]
    result = backstage_validate(entities)
    assert result.returncode == 0, f"Backstage refuses the catalog:\n{result.stderr}"
    refs = {entry["ref"]: entry["refs"] for entry in json.loads(result.stdout)["entities"]}
    assert len(refs) == len(entities)
    known = set(refs)
    # Every reference Backstage resolves from a spec field names an entity of this catalog.
    for ref, fields in refs.items():
        for field, value in fields.items():
            for target in value if isinstance(value, list) else [value]:
                assert target in known, f"{ref}: spec.{field} names {target}, which the catalog does not define"


def test_every_service_has_one_owning_team_and_one_domain(catalog: Catalog) -> None:
    groups = catalog.groups
    for service in SERVICES:
        (component,) = catalog.components[service]
        assert isinstance(component, Component)
        assert component.owner is not None
        assert component.owner in groups
        assert groups[component.owner].type == "team"
        assert component.system in catalog.systems
        system = catalog.systems[component.system]
        assert system.domain in catalog.domains
        assert component.annotations["groundwork.dev/domain"] == system.domain.name


def test_teams_have_members_and_an_on_call_rotation(catalog: Catalog) -> None:
    teams = [group for group in catalog.groups.values() if group.type == "team"]
    assert len(teams) == 7
    users = catalog.users
    for team in teams:
        assert isinstance(team, Group)
        assert team.on_call
        assert team.on_call.startswith("https://")
        assert team.team_slug == f"acme/{team.name}"
        assert team.members, f"{team.name} has no members"
        for member in team.members:
            user = users[member]
            assert isinstance(user, User)
            assert Ref("group", "default", team.name) in user.member_of


def test_only_the_gateway_is_exposed(catalog: Catalog) -> None:
    exposed = {s for s in SERVICES if "groundwork.dev/public-host" in catalog.components[s][0].annotations}
    assert exposed == {"gateway"}
