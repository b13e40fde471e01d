"""groundwork's guardrails on Pulumi resources. Each validation is a plain function over the resource's
properties (what Pulumi passes a policy), so tests call it with hand-made `ResourceValidationArgs`.

The policies look at the AWS and Kubernetes resources themselves (what pulumi-eks and pulumi-kubernetes
register), and at groundwork's own component inputs where the AWS resource is created inside a provider,
so the guardrail holds whichever way a stack builds its cluster.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_COMPONENT = "eks:index:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_GROUP_COMPONENT = "eks:index:ManagedNodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
AWSX_VPC = "awsx:ec2:Vpc"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_CHARTS = ("kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart")

# The tag groundwork puts on every AWS resource of a stack (groundwork.infra.eks.ENVIRONMENT_TAG).
ENVIRONMENT_TAG = "groundwork.dev/environment"
PROD = "prod"
MIN_ZONES = 2
# An exact chart release: 1.2.3 or 1.2.3-rc.1, never a range, a wildcard or empty.
EXACT_VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def eks_secrets_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """EKS clusters envelope-encrypt Kubernetes Secrets with a KMS key."""
    props = args.props
    if args.resource_type == EKS_CLUSTER:
        configs = props.get("encryptionConfig")
        entries = configs if isinstance(configs, list) else [configs] if isinstance(configs, Mapping) else []
        for entry in entries:
            provider = entry.get("provider") or {}
            if "secrets" in (entry.get("resources") or []) and provider.get("keyArn"):
                return
        report_violation(
            f"EKS cluster '{args.name}' does not encrypt Secrets: set encryptionConfig with a KMS key", None
        )
    elif args.resource_type == EKS_COMPONENT and not props.get("encryptionConfigKeyArn"):
        report_violation(f"EKS cluster '{args.name}' does not encrypt Secrets: set encryptionConfigKeyArn", None)


def eks_no_public_endpoint_in_prod(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A prod EKS cluster (tag groundwork.dev/environment=prod) has no public API endpoint."""
    props = args.props
    if args.resource_type == EKS_CLUSTER:
        public = (props.get("vpcConfig") or {}).get("endpointPublicAccess", True)  # AWS's default is public
    elif args.resource_type == EKS_COMPONENT:
        public = props.get("endpointPublicAccess", True)  # pulumi-eks's default is public too
    else:
        return
    if _environment(props) == PROD and public:
        report_violation(
            f"EKS cluster '{args.name}' is prod and has a public API endpoint: set endpointPublicAccess false", None
        )


def node_groups_span_two_zones(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Node groups are spread over subnets of at least two availability zones (here: >= 2 distinct subnets;
    the stack policy below checks the subnets' zones)."""
    if args.resource_type not in (NODE_GROUP, NODE_GROUP_COMPONENT):
        return
    subnets = set(args.props.get("subnetIds") or [])
    if len(subnets) < MIN_ZONES:
        report_violation(
            f"node group '{args.name}' uses {len(subnets)} subnet(s): give it subnets in at least {MIN_ZONES} zones",
            None,
        )


def node_group_subnets_in_two_zones(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """The subnets each node group depends on lie in at least two availability zones: read from the subnets
    themselves, or from the awsx VPC they come from (its zone count or zone names)."""
    for resource in args.resources:
        if resource.resource_type not in (NODE_GROUP, NODE_GROUP_COMPONENT):
            continue
        sources = resource.property_dependencies.get("subnetIds", [])
        zones = {
            str(dep.props["availabilityZone"])
            for dep in sources
            if dep.resource_type == SUBNET and dep.props.get("availabilityZone")
        }
        counts = [len(zones)] if any(dep.resource_type == SUBNET for dep in sources) else []
        counts += [_vpc_zones(dep.props) for dep in sources if dep.resource_type == AWSX_VPC]
        if counts and min(counts) < MIN_ZONES:
            report_violation(
                f"node group '{resource.name}' runs in {min(counts)} availability zone(s): "
                f"spread it over at least {MIN_ZONES}",
                resource.urn,
            )


def _vpc_zones(props: Mapping[str, Any]) -> int:
    names = props.get("availabilityZoneNames")
    if isinstance(names, list) and names:
        return len(set(names))
    count = props.get("numberOfAvailabilityZones")
    return int(count) if isinstance(count, int | float) else 3  # awsx's default is 3


def helm_releases_pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Every Helm release or chart names one exact chart version."""
    if args.resource_type != HELM_RELEASE and args.resource_type not in HELM_CHARTS:
        return
    version = args.props.get("version")
    if not isinstance(version, str) or not EXACT_VERSION.match(version.strip()):
        chart = args.props.get("chart", args.name)
        report_violation(
            f"Helm chart '{chart}' is not pinned (version {version!r}): give one exact version such as \"1.2.3\"",
            None,
        )


def _environment(props: Mapping[str, Any]) -> str | None:
    for key in ("tags", "clusterTags", "tagsAll"):
        tags = props.get(key)
        if isinstance(tags, Mapping) and ENVIRONMENT_TAG in tags:
            return str(tags[ENVIRONMENT_TAG])
    return None


def _resource(name: str, description: str, validate: Any) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


POLICIES: Iterable[ResourceValidationPolicy | StackValidationPolicy] = (
    _resource("eks-secrets-encrypted", "EKS clusters encrypt Kubernetes Secrets with KMS", eks_secrets_encrypted),
    _resource(
        "eks-no-public-endpoint-in-prod",
        "A prod EKS cluster's API server has no public endpoint",
        eks_no_public_endpoint_in_prod,
    ),
    _resource(
        "node-groups-span-two-zones", "Node groups use subnets of at least two zones", node_groups_span_two_zones
    ),
    StackValidationPolicy(
        name="node-group-subnets-in-two-zones",
        description="The subnets of every node group lie in at least two availability zones",
        validate=node_group_subnets_in_two_zones,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    _resource("helm-releases-pinned", "Every Helm release names one exact chart version", helm_releases_pinned),
)
