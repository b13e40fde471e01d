"""The eks stack under Pulumi mocks: VPC across three zones, nodes in private subnets, Secrets encrypted with
a rotating KMS key, endpoint access from config, IRSA roles carried to the add-ons, Argo CD bootstrapped."""

from __future__ import annotations

import json

import pytest
from infra_harness import (
    ACCOUNT_ID,
    EBS_CSI_VERSION,
    EKS_KUBECONFIG,
    KMS_KEY_ARN,
    OIDC_ISSUER,
    OIDC_PROVIDER_ARN,
    PRIVATE_SUBNETS,
    PUBLIC_SUBNETS,
    VPC_ID,
    ProgramRun,
    run_program,
)
from infra_stacks import REPO_URL, repository_inputs, stack_settings

from groundwork.infra.program import build

COMPONENTS = {"groundwork:infra:EksCluster", "groundwork:infra:ArgoCdBootstrap"}


def run_eks(**overrides: object) -> ProgramRun:
    settings = stack_settings("eks", **overrides)
    return run_program("eks", lambda: build(settings, repository_inputs()))


@pytest.fixture(scope="module")
def eks_run() -> ProgramRun:
    return run_eks()


def test_vpc_spans_three_zones_with_private_and_public_subnets(eks_run: ProgramRun) -> None:
    vpc = eks_run.one("awsx:ec2:Vpc")
    assert vpc.value("numberOfAvailabilityZones") == 3
    assert vpc.value("cidrBlock") == "10.0.0.0/16"
    specs = {spec["type"]: spec["tags"] for spec in vpc.value("subnetSpecs")}
    assert specs["Private"]["kubernetes.io/role/internal-elb"] == "1"
    assert specs["Public"]["kubernetes.io/role/elb"] == "1"
    assert vpc.value("natGateways") == {"strategy": "Single"}


def test_cluster_secrets_are_encrypted_with_a_rotating_kms_key(eks_run: ProgramRun) -> None:
    key = eks_run.one("aws:kms/key:Key")
    assert key.value("enableKeyRotation") is True
    cluster = eks_run.one("eks:index:Cluster")
    assert cluster.value("encryptionConfigKeyArn") == KMS_KEY_ARN


def test_cluster_uses_the_vpc_and_keeps_nodes_private(eks_run: ProgramRun) -> None:
    cluster = eks_run.one("eks:index:Cluster")
    assert cluster.value("vpcId") == VPC_ID
    assert cluster.value("privateSubnetIds") == PRIVATE_SUBNETS
    assert cluster.value("publicSubnetIds") == PUBLIC_SUBNETS
    assert cluster.value("nodeAssociatePublicIpAddress") is False
    assert cluster.value("skipDefaultNodeGroup") is True
    assert cluster.value("createOidcProvider") is True
    assert cluster.value("authenticationMode") == "API"
    assert cluster.value("name") == "groundwork-dev"
    assert cluster.value("version") == "1.35"
    assert set(cluster.value("enabledClusterLogTypes")) >= {"api", "audit"}
    group = eks_run.one("eks:index:ManagedNodeGroup")
    assert group.value("subnetIds") == PRIVATE_SUBNETS
    assert group.value("scalingConfig") == {"minSize": 2, "desiredSize": 3, "maxSize": 6}
    assert group.value("instanceTypes") == ["m6i.large"]


def test_endpoint_access_follows_stack_config(eks_run: ProgramRun) -> None:
    cluster = eks_run.one("eks:index:Cluster")
    assert cluster.value("endpointPublicAccess") is True
    assert cluster.value("endpointPrivateAccess") is True
    assert cluster.value("publicAccessCidrs") == ["0.0.0.0/0"]
    private = run_eks(endpointPublicAccess=False, environment="prod").one("eks:index:Cluster")
    assert private.value("endpointPublicAccess") is False
    assert private.value("endpointPrivateAccess") is True
    assert private.value("publicAccessCidrs") is None


def test_prod_gets_a_nat_gateway_per_zone_and_is_tagged_prod() -> None:
    run = run_eks(endpointPublicAccess=False, environment="prod", availabilityZones=4)
    vpc = run.one("awsx:ec2:Vpc")
    assert vpc.value("natGateways") == {"strategy": "OnePerAz"}
    assert vpc.value("numberOfAvailabilityZones") == 4
    provider = run.one("pulumi:providers:aws")
    assert json.loads(provider.value("defaultTags"))["tags"]["groundwork.dev/environment"] == "prod"
    assert run.one("eks:index:Cluster").value("tags")["groundwork.dev/environment"] == "prod"


@pytest.mark.parametrize(
    ("addon", "namespace", "service_account"),
    [
        ("external-secrets", "external-secrets", "external-secrets"),
        ("aws-ebs-csi-driver", "kube-system", "ebs-csi-controller-sa"),
        ("aws-load-balancer-controller", "kube-system", "aws-load-balancer-controller"),
    ],
)
def test_each_addon_role_trusts_exactly_its_service_account(
    eks_run: ProgramRun, addon: str, namespace: str, service_account: str
) -> None:
    role = eks_run.one("aws:iam/role:Role", f"eks-{addon}")
    (statement,) = json.loads(role.value("assumeRolePolicy"))["Statement"]
    assert statement["Principal"] == {"Federated": OIDC_PROVIDER_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        f"{OIDC_ISSUER}:sub": f"system:serviceaccount:{namespace}:{service_account}",
        f"{OIDC_ISSUER}:aud": "sts.amazonaws.com",
    }


def test_external_secrets_reads_only_the_cluster_prefix(eks_run: ProgramRun) -> None:
    policy = json.loads(eks_run.one("aws:iam/rolePolicy:RolePolicy", "eks-external-secrets").value("policy"))
    resources = {statement["Resource"] for statement in policy["Statement"]}
    assert resources == {
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT_ID}:secret:groundwork-dev/*",
        f"arn:aws:ssm:eu-west-1:{ACCOUNT_ID}:parameter/groundwork-dev/*",
    }


def test_cluster_secret_carries_role_arns_region_and_cluster_name(eks_run: ProgramRun) -> None:
    secret = eks_run.one("kubernetes:core/v1:Secret")
    annotations = secret.value("metadata")["annotations"]
    for addon in ("external-secrets", "aws-ebs-csi-driver", "aws-load-balancer-controller"):
        role = eks_run.one("aws:iam/role:Role", f"eks-{addon}")
        assert annotations[f"{addon.replace('-', '_')}_role_arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/{role.name}"
    assert annotations["aws_region"] == "eu-west-1"
    assert annotations["aws_account_id"] == ACCOUNT_ID
    assert annotations["aws_vpc_id"] == VPC_ID
    assert annotations["cluster_name"] == "groundwork-dev"
    assert annotations["istio_gateway_service_type"] == "LoadBalancer"
    assert annotations["addons_repo_url"] == REPO_URL
    labels = secret.value("metadata")["labels"]
    assert labels["enable_external_secrets"] == "true"


def test_ebs_csi_driver_runs_as_a_managed_addon_with_its_role(eks_run: ProgramRun) -> None:
    addon = eks_run.one("aws:eks/addon:Addon")
    role = eks_run.one("aws:iam/role:Role", "eks-aws-ebs-csi-driver")
    assert addon.value("addonName") == "aws-ebs-csi-driver"
    assert addon.value("addonVersion") == EBS_CSI_VERSION
    assert addon.value("serviceAccountRoleArn") == f"arn:aws:iam::{ACCOUNT_ID}:role/{role.name}"
    assert addon.value("clusterName") == "groundwork-dev"
    (version_call,) = [args for token, args in eks_run.calls if token == "aws:eks/getAddonVersion:getAddonVersion"]
    assert version_call["kubernetesVersion"] == "1.35"


def test_eks_kubeconfig_flows_into_the_kubernetes_provider_as_a_secret(eks_run: ProgramRun) -> None:
    provider = eks_run.one("pulumi:providers:kubernetes")
    assert provider.is_secret("kubeconfig")
    assert provider.value("kubeconfig") == EKS_KUBECONFIG
    release = eks_run.one("kubernetes:helm.sh/v3:Release")
    assert release.provider.startswith(provider.urn + "::")


def test_every_aws_resource_uses_the_region_provider(eks_run: ProgramRun) -> None:
    provider = eks_run.one("pulumi:providers:aws")
    assert provider.value("region") == "eu-west-1"
    for resource in eks_run.resources:
        if resource.custom and resource.typ.startswith("aws:"):
            assert resource.provider.startswith(provider.urn + "::"), resource.name


def test_every_resource_is_parented_to_its_component(eks_run: ProgramRun) -> None:
    top_level = [r for r in eks_run.resources if r.parent_type == "pulumi:pulumi:Stack"]
    assert {r.typ for r in top_level} == COMPONENTS
    for resource in eks_run.resources:
        if resource.typ not in COMPONENTS:
            assert resource.parent_type in COMPONENTS, resource.name


def test_no_kind_resources_in_the_eks_stack(eks_run: ProgramRun) -> None:
    assert eks_run.of_type("command:local:Command") == []
    assert "gatewayUrl" not in eks_run.outputs
    assert eks_run.outputs["region"] == "eu-west-1"
