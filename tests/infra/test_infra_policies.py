"""The Pulumi policy pack (policies/pulumi): every policy has a passing and a failing case, called through the
pulumi-policy objects with the SDK's own argument types, and the real stacks pass the pack."""

from __future__ import annotations

import importlib.util
import runpy
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pulumi_policy
import pytest
from infra_harness import ProgramRun, run_program, unwrap
from infra_stacks import REPO_ROOT, repository_inputs, stack_settings
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from groundwork.infra.eks import ENVIRONMENT_TAG
from groundwork.infra.program import build

PACK_DIR = REPO_ROOT / "policies" / "pulumi"


def _load_guardrails() -> ModuleType:
    spec = importlib.util.spec_from_file_location("groundwork_guardrails", PACK_DIR / "guardrails.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


guardrails = _load_guardrails()
POLICIES = {policy.name: policy for policy in guardrails.POLICIES}

_OPTS = PolicyResourceOptions(
    protect=False,
    ignore_changes=[],
    delete_before_replace=None,
    aliases=[],
    custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
    additional_secret_outputs=[],
)


def resource(typ: str, props: Mapping[str, Any], name: str = "thing") -> ResourceValidationArgs:
    return ResourceValidationArgs(typ, dict(props), f"urn:pulumi:test::groundwork::{typ}::{name}", name, _OPTS, None)


def stack_resource(
    typ: str, props: Mapping[str, Any], name: str, deps: Mapping[str, list[PolicyResource]] | None = None
) -> PolicyResource:
    urn = f"urn:pulumi:test::groundwork::{typ}::{name}"
    flat = [dep for group in (deps or {}).values() for dep in group]
    return PolicyResource(typ, dict(props), urn, name, _OPTS, None, None, flat, dict(deps or {}))


def violations(policy_name: str, args: ResourceValidationArgs | StackValidationArgs) -> list[str]:
    found: list[str] = []
    POLICIES[policy_name].validate(args, lambda message, urn=None: found.append(message))
    return found


ENCRYPTED = {"encryptionConfig": {"provider": {"keyArn": "arn:aws:kms:eu-west-1:1:key/k"}, "resources": ["secrets"]}}
PROD_TAGS = {"tags": {ENVIRONMENT_TAG: "prod"}}


def _zones(*zones: str) -> StackValidationArgs:
    subnets = [stack_resource(guardrails.SUBNET, {"availabilityZone": z}, f"subnet-{i}") for i, z in enumerate(zones)]
    group = stack_resource(guardrails.NODE_GROUP, {"subnetIds": [f"s{i}" for i in range(len(zones))]}, "nodes", {
        "subnetIds": subnets
    })  # fmt: skip
    return StackValidationArgs(resources=[*subnets, group])


def _from_vpc(vpc_props: Mapping[str, Any]) -> StackValidationArgs:
    vpc = stack_resource(guardrails.AWSX_VPC, vpc_props, "vpc")
    group = stack_resource(guardrails.NODE_GROUP_COMPONENT, {"subnetIds": ["a", "b"]}, "nodes", {"subnetIds": [vpc]})
    return StackValidationArgs(resources=[vpc, group])


# policy -> (cases that pass, cases that fail)
CASES: dict[str, tuple[list[Any], list[Any]]] = {
    "eks-secrets-encrypted": (
        [
            resource(guardrails.EKS_CLUSTER, ENCRYPTED),
            resource(guardrails.EKS_CLUSTER, {"encryptionConfig": [ENCRYPTED["encryptionConfig"]]}),
            resource(guardrails.EKS_COMPONENT, {"encryptionConfigKeyArn": "arn:aws:kms:eu-west-1:1:key/k"}),
            resource("aws:s3/bucket:Bucket", {}),
        ],
        [
            resource(guardrails.EKS_CLUSTER, {}),
            resource(
                guardrails.EKS_CLUSTER, {"encryptionConfig": {"provider": {"keyArn": ""}, "resources": ["secrets"]}}
            ),
            resource(guardrails.EKS_CLUSTER, {"encryptionConfig": {"provider": {"keyArn": "k"}, "resources": []}}),
            resource(guardrails.EKS_COMPONENT, {"encryptionConfigKeyArn": None}),
        ],
    ),
    "eks-no-public-endpoint-in-prod": (
        [
            resource(guardrails.EKS_CLUSTER, {**PROD_TAGS, "vpcConfig": {"endpointPublicAccess": False}}),
            resource(guardrails.EKS_CLUSTER, {"tags": {ENVIRONMENT_TAG: "dev"}, "vpcConfig": {}}),
            resource(guardrails.EKS_COMPONENT, {**PROD_TAGS, "endpointPublicAccess": False}),
        ],
        [
            resource(guardrails.EKS_CLUSTER, {**PROD_TAGS, "vpcConfig": {"endpointPublicAccess": True}}),
            resource(guardrails.EKS_CLUSTER, {**PROD_TAGS, "vpcConfig": {}}),  # AWS defaults to public
            resource(guardrails.EKS_COMPONENT, {"clusterTags": {ENVIRONMENT_TAG: "prod"}}),
        ],
    ),
    "node-groups-span-two-zones": (
        [
            resource(guardrails.NODE_GROUP, {"subnetIds": ["a", "b", "c"]}),
            resource(guardrails.NODE_GROUP_COMPONENT, {"subnetIds": ["a", "b"]}),
        ],
        [
            resource(guardrails.NODE_GROUP, {"subnetIds": ["a"]}),
            resource(guardrails.NODE_GROUP, {"subnetIds": ["a", "a"]}),
            resource(guardrails.NODE_GROUP_COMPONENT, {}),
        ],
    ),
    "node-group-subnets-in-two-zones": (
        [
            _zones("eu-west-1a", "eu-west-1b", "eu-west-1c"),
            _zones("eu-west-1a", "eu-west-1b"),
            _from_vpc({"numberOfAvailabilityZones": 3}),
            _from_vpc({}),  # awsx defaults to three zones
        ],
        [
            _zones("eu-west-1a", "eu-west-1a", "eu-west-1a"),
            _zones("eu-west-1b"),
            _from_vpc({"numberOfAvailabilityZones": 1}),
            _from_vpc({"availabilityZoneNames": ["eu-west-1a", "eu-west-1a"]}),
        ],
    ),
    "helm-releases-pinned": (
        [
            resource(guardrails.HELM_RELEASE, {"chart": "argo-cd", "version": "10.1.1"}),
            resource(guardrails.HELM_RELEASE, {"chart": "x", "version": "1.2.3-rc.1"}),
            resource("kubernetes:helm.sh/v4:Chart", {"chart": "x", "version": "0.1.0"}),
        ],
        [
            resource(guardrails.HELM_RELEASE, {"chart": "argo-cd"}),
            resource(guardrails.HELM_RELEASE, {"chart": "argo-cd", "version": ""}),
            resource(guardrails.HELM_RELEASE, {"chart": "argo-cd", "version": "^10.1.0"}),
            resource(guardrails.HELM_RELEASE, {"chart": "argo-cd", "version": "10.x"}),
            resource(guardrails.HELM_RELEASE, {"chart": "argo-cd", "version": ">=10"}),
            resource("kubernetes:helm.sh/v3:Chart", {"chart": "x", "version": "*"}),
        ],
    ),
}


def test_every_policy_of_the_pack_has_cases() -> None:
    assert set(CASES) == set(POLICIES)
    assert all(passing and failing for passing, failing in CASES.values())
    assert all(p.enforcement_level == pulumi_policy.EnforcementLevel.MANDATORY for p in POLICIES.values())


@pytest.mark.parametrize(("policy", "case"), [(name, case) for name, (passing, _) in CASES.items() for case in passing])
def test_policy_passes(policy: str, case: Any) -> None:
    assert violations(policy, case) == []


@pytest.mark.parametrize(("policy", "case"), [(name, case) for name, (_, failing) in CASES.items() for case in failing])
def test_policy_fails(policy: str, case: Any) -> None:
    found = violations(policy, case)
    assert len(found) == 1
    assert ": " in found[0]  # what is wrong, then the fix
    assert "\n" not in found[0]


def test_environment_tag_is_the_one_the_eks_component_writes() -> None:
    assert guardrails.ENVIRONMENT_TAG == ENVIRONMENT_TAG


def _pack_violations(run: ProgramRun) -> list[str]:
    """Every resource policy of the pack over every resource the program registered (inputs as props)."""
    found: list[str] = []
    for registered in run.resources:
        args = resource(registered.typ, unwrap(dict(registered.inputs)), registered.name)
        for name, policy in POLICIES.items():
            if isinstance(policy, pulumi_policy.ResourceValidationPolicy):
                policy.validate(args, lambda message, urn=None, name=name: found.append(f"{name}: {message}"))
    return found


@pytest.mark.parametrize("stack", ["kind", "eks"])
def test_committed_stacks_pass_the_pack(stack: str) -> None:
    settings = stack_settings(stack)
    run = run_program(stack, lambda: build(settings, repository_inputs()))
    assert _pack_violations(run) == []


def test_a_prod_stack_with_a_public_endpoint_is_refused() -> None:
    settings = stack_settings("eks", environment="prod", endpointPublicAccess=True)
    run = run_program("eks", lambda: build(settings, repository_inputs()))
    assert _pack_violations(run) == [
        "eks-no-public-endpoint-in-prod: EKS cluster 'eks-cluster' is prod and has a public API endpoint: "
        "set endpointPublicAccess false"
    ]


def test_the_pack_entry_point_registers_every_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    created: dict[str, Any] = {}

    def fake_pack(**kwargs: Any) -> None:  # the real PolicyPack starts a gRPC server and blocks
        created.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", fake_pack)
    monkeypatch.setattr(sys, "path", list(sys.path))
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")
    assert created["name"] == "groundwork"
    assert {policy.name for policy in created["policies"]} == set(POLICIES)
    assert created["enforcement_level"] == pulumi_policy.EnforcementLevel.MANDATORY


def test_pack_project_file_runs_python_from_the_repository_environment() -> None:
    import yaml

    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["toolchain"] == "uv"
    assert isinstance(project["version"], str)
