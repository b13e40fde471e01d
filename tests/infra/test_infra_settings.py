"""Stack configuration: the committed stacks parse, every key is declared once with type/default/description,
and each bad value fails with one line naming the key and the fix."""

from __future__ import annotations

import json

import pytest
from infra_stacks import INFRA_DIR, repository_inputs, stack_values

from groundwork.errors import GroundworkError
from groundwork.infra.settings import CONFIG_KEYS, InvalidStackConfig, parse_settings
from groundwork.infra.stack_config import declared_keys, load_stack_values


def test_every_key_is_declared_with_type_default_and_description() -> None:
    declared = declared_keys(INFRA_DIR)
    assert set(declared) == CONFIG_KEYS
    for key in declared.values():
        assert key.type in {"string", "integer", "boolean", "array"}, key.name
        assert key.default is not None, key.name
        assert len(key.description) > 20, key.name


@pytest.mark.parametrize("stack", ["kind", "eks"])
def test_committed_stacks_parse(stack: str) -> None:
    settings = parse_settings(stack_values(stack), repository_inputs().known_addons)
    assert settings.env == stack
    assert (settings.kind is not None) == (stack == "kind")
    assert (settings.eks is not None) == (stack == "eks")


def test_committed_stacks_set_only_declared_keys() -> None:
    declared = set(declared_keys(INFRA_DIR))
    for stack in ("kind", "eks"):
        assert set(load_stack_values(INFRA_DIR, stack)) <= declared


def test_values_from_the_pulumi_engine_parse_like_yaml_values() -> None:
    """`pulumi.Config.get` returns strings (arrays as JSON); they mean the same as native YAML values."""
    native = stack_values("eks")
    as_strings = {key: value if isinstance(value, str) else json.dumps(value) for key, value in native.items()}
    assert parse_settings(as_strings) == parse_settings(native)


def test_default_kind_node_image_is_pinned_by_digest() -> None:
    settings = parse_settings(stack_values("kind"))
    assert settings.kind is not None
    assert settings.kind.node_image.startswith("kindest/node:v1.36.1@sha256:")


BAD_CONFIG = [
    ("kind", {"env": "gke"}, "groundwork:env 'gke' is unknown: use one of 'kind', 'eks'"),
    ("kind", {"repoUrl": ""}, "groundwork:repoUrl is missing"),
    ("kind", {"repoUrl": "acme/platform"}, "groundwork:repoUrl 'acme/platform' is not a Git URL"),
    ("eks", {"availabilityZones": 1}, "groundwork:availabilityZones is 1, out of range: give 2 to 6"),
    ("eks", {"availabilityZones": 7}, "groundwork:availabilityZones is 7, out of range"),
    ("eks", {"availabilityZones": "three"}, "groundwork:availabilityZones 'three' is not a whole number"),
    ("kind", {"environment": "qa"}, "groundwork:environment 'qa' is unknown"),
    (
        "kind",
        {"kindNodeImage": "kindest/node:v1.36.1"},
        "groundwork:kindNodeImage 'kindest/node:v1.36.1' is not pinned",
    ),
    ("kind", {"kindHttpPort": 8443}, "kindHttpPort and groundwork:kindHttpsPort are both 8443"),
    ("kind", {"kindWorkers": 9}, "groundwork:kindWorkers is 9, out of range"),
    ("kind", {"clusterName": "Ground_Work"}, "groundwork:clusterName 'Ground_Work' is not a cluster name"),
    ("kind", {"addons": ["istio", "istio"]}, "groundwork:addons lists an add-on twice"),
    ("kind", {"addons": "istio"}, "groundwork:addons is not a list of strings"),
    ("kind", {"addons": ["Istio"]}, "groundwork:addons entry 'Istio' is not an add-on name"),
    ("kind", {"revision": "has space"}, "groundwork:revision 'has space' is not valid"),
    ("kind", {"color": "blue"}, "unknown config key groundwork:color"),
    ("eks", {"awsRegion": "europe"}, "groundwork:awsRegion 'europe' is not valid"),
    ("eks", {"eksVersion": "2.0"}, "groundwork:eksVersion '2.0' is not valid"),
    ("eks", {"vpcCidr": "10.0.0.0/8"}, "groundwork:vpcCidr '10.0.0.0/8' is not a usable VPC range"),
    ("eks", {"nodeMinSize": 4, "nodeDesiredSize": 3}, "min 4, desired 3, max 6 are out of order"),
    ("eks", {"nodeInstanceTypes": []}, "groundwork:nodeInstanceTypes is empty"),
    ("eks", {"publicAccessCidrs": ["everyone"]}, "groundwork:publicAccessCidrs entry 'everyone' is not a CIDR"),
    ("eks", {"publicAccessCidrs": []}, "publicAccessCidrs is empty while groundwork:endpointPublicAccess is true"),
    ("eks", {"endpointPublicAccess": "yes"}, "groundwork:endpointPublicAccess 'yes' is not a boolean"),
    (
        "eks",
        {"endpointPublicAccess": False, "endpointPrivateAccess": False},
        "endpointPublicAccess and groundwork:endpointPrivateAccess are both false",
    ),
]


@pytest.mark.parametrize(("stack", "overrides", "message"), BAD_CONFIG, ids=[m for _, _, m in BAD_CONFIG])
def test_bad_config_fails_with_one_clear_line(stack: str, overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidStackConfig) as raised:
        parse_settings(stack_values(stack, **overrides))
    text = str(raised.value)
    assert message in text
    assert "\n" not in text
    assert ": " in text  # the problem, then the fix


def test_missing_key_names_it() -> None:
    values = stack_values("kind")
    del values["revision"]
    with pytest.raises(InvalidStackConfig, match=r"^config groundwork:revision is missing: set it in infra/"):
        parse_settings(values)


def test_unknown_addon_is_refused_with_the_known_ones() -> None:
    known = repository_inputs().known_addons
    with pytest.raises(InvalidStackConfig) as raised:
        parse_settings(stack_values("kind", addons=["istio", "linkerd"]), known)
    assert "addons entry 'linkerd' is not an add-on of gitops/bootstrap: use one of " in str(raised.value)
    assert "kube_prometheus_stack" in str(raised.value)


def test_unknown_stack_is_refused() -> None:
    with pytest.raises(GroundworkError, match=r"there is no stack 'gke'"):
        load_stack_values(INFRA_DIR, "gke")
