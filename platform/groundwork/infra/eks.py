"""`EksCluster`: an EKS cluster in its own VPC, with what the add-ons need from AWS.

- an awsx VPC across `availabilityZones` zones: private subnets for the nodes (tagged for internal load
  balancers), public subnets for internet-facing ones, NAT per zone in prod and a single NAT elsewhere;
- the cluster (pulumi-eks) with Kubernetes Secrets envelope-encrypted by a dedicated, rotating KMS key,
  API endpoint access from config, control-plane logs, access entries (authentication mode API), an OIDC
  provider for IRSA, and no default node group;
- one managed node group in the private subnets of every zone;
- an IAM role per add-on (External Secrets, EBS CSI driver, AWS Load Balancer Controller) trusted by exactly
  its service account (IRSA), whose ARNs the cluster Secret carries to the ApplicationSets;
- the EBS CSI driver as an EKS managed add-on using its role, so volumes bind from the first sync on.

All AWS resources go through one explicit provider for the configured region, tagged with the cluster name
and environment (the policy pack reads `groundwork.dev/environment`).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_eks as eks

from groundwork.infra.addon_roles import (
    ADDON_ROLES,
    NODE_POLICY_ARNS,
    AddonRole,
    PolicyScope,
    ec2_trust_policy,
    irsa_trust_policy,
)
from groundwork.infra.settings import EksSettings

ENVIRONMENT_TAG = "groundwork.dev/environment"
CLUSTER_TAG = "groundwork.dev/cluster"
CONTROL_PLANE_LOGS = ("api", "audit", "authenticator")
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EBS_CSI_ROLE_ANNOTATION = "aws_ebs_csi_driver_role_arn"


@dataclass(frozen=True)
class EksClusterArgs:
    """What an EKS cluster is made of: its name, the environment it serves and the stack's EKS settings."""

    name: str
    environment: str
    settings: EksSettings


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster. Outputs: `kubeconfig` (secret), `name`, `region`, `vpc_id`, `account_id` and
    `addon_role_arns` (annotation name -> role ARN)."""

    kubeconfig: pulumi.Output[str]
    name: str
    region: str
    vpc_id: pulumi.Output[str]
    account_id: pulumi.Output[str]
    addon_role_arns: Mapping[str, pulumi.Output[str]]

    def __init__(self, resource_name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:infra:EksCluster", resource_name, None, opts)
        settings = args.settings
        self.name = args.name
        self.region = settings.region
        tags = {CLUSTER_TAG: args.name, ENVIRONMENT_TAG: args.environment}

        provider = aws.Provider(
            f"{resource_name}-aws",
            region=settings.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_aws = pulumi.ResourceOptions(parent=self, provider=provider)
        # Components (awsx, pulumi-eks) take the provider by package for the resources they create inside.
        components_on_aws = pulumi.ResourceOptions(parent=self, providers={"aws": provider})

        key = aws.kms.Key(
            f"{resource_name}-secrets",
            description=f"Envelope encryption of Kubernetes Secrets in EKS cluster {args.name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=on_aws,
        )
        aws.kms.Alias(
            f"{resource_name}-secrets", name=f"alias/{args.name}-eks-secrets", target_key_id=key.key_id, opts=on_aws
        )

        vpc = awsx.ec2.Vpc(
            f"{resource_name}-vpc",
            cidr_block=settings.vpc_cidr,
            number_of_availability_zones=settings.availability_zones,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            subnet_strategy=awsx.ec2.SubnetAllocationStrategy.AUTO,
            subnet_specs=[
                awsx.ec2.SubnetSpecArgs(
                    type=awsx.ec2.SubnetType.PRIVATE,
                    tags={"kubernetes.io/role/internal-elb": "1", f"kubernetes.io/cluster/{args.name}": "shared"},
                ),
                awsx.ec2.SubnetSpecArgs(
                    type=awsx.ec2.SubnetType.PUBLIC,
                    tags={"kubernetes.io/role/elb": "1", f"kubernetes.io/cluster/{args.name}": "shared"},
                ),
            ],
            nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(
                strategy=awsx.ec2.NatGatewayStrategy.ONE_PER_AZ
                if args.environment == "prod"
                else awsx.ec2.NatGatewayStrategy.SINGLE
            ),
            tags=tags,
            opts=components_on_aws,
        )

        node_role = aws.iam.Role(
            f"{resource_name}-nodes",
            assume_role_policy=json.dumps(ec2_trust_policy()),
            description=f"Instance role of the managed nodes of EKS cluster {args.name}",
            opts=on_aws,
        )
        for index, policy_arn in enumerate(NODE_POLICY_ARNS):
            aws.iam.RolePolicyAttachment(
                f"{resource_name}-nodes-{index}", role=node_role.name, policy_arn=policy_arn, opts=on_aws
            )

        cluster = eks.Cluster(
            f"{resource_name}-cluster",
            name=args.name,
            version=settings.kubernetes_version,
            vpc_id=vpc.vpc_id,
            private_subnet_ids=vpc.private_subnet_ids,
            public_subnet_ids=vpc.public_subnet_ids,
            node_associate_public_ip_address=False,
            skip_default_node_group=True,
            encryption_config_key_arn=key.arn,
            endpoint_private_access=settings.endpoint_private_access,
            endpoint_public_access=settings.endpoint_public_access,
            public_access_cidrs=list(settings.public_access_cidrs) if settings.endpoint_public_access else None,
            authentication_mode=eks.AuthenticationMode.API,
            create_oidc_provider=True,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOGS),
            tags=tags,
            cluster_tags=tags,
            opts=components_on_aws,
        )

        node_group = eks.ManagedNodeGroup(
            f"{resource_name}-nodes",
            cluster=cluster,
            node_role=node_role,
            subnet_ids=vpc.private_subnet_ids,
            instance_types=list(settings.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=settings.min_size, desired_size=settings.desired_size, max_size=settings.max_size
            ),
            tags=tags,
            opts=components_on_aws,
        )

        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
        self.account_id = identity.account_id
        self.addon_role_arns = {
            role.annotation: self._addon_role(resource_name, role, cluster, identity.account_id, on_aws)
            for role in ADDON_ROLES
        }
        # The EBS CSI driver runs as an EKS managed add-on (PersistentVolumes need it from the first sync on),
        # at AWS's default version for the cluster's Kubernetes version, with its IRSA role.
        csi_version = aws.eks.get_addon_version_output(
            addon_name=EBS_CSI_ADDON,
            kubernetes_version=settings.kubernetes_version,
            most_recent=False,
            opts=pulumi.InvokeOutputOptions(provider=provider),
        )
        aws.eks.Addon(
            f"{resource_name}-ebs-csi",
            # Derived from a cluster output so the add-on waits for the cluster.
            cluster_name=cluster.oidc_provider_arn.apply(lambda _: args.name),
            addon_name=EBS_CSI_ADDON,
            addon_version=csi_version.version,
            service_account_role_arn=self.addon_role_arns[EBS_CSI_ROLE_ANNOTATION],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions.merge(on_aws, pulumi.ResourceOptions(depends_on=[node_group])),
        )
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.vpc_id = vpc.vpc_id
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "name": self.name,
                "region": self.region,
                "vpcId": self.vpc_id,
                "accountId": self.account_id,
                "addonRoleArns": dict(self.addon_role_arns),
            }
        )

    def _addon_role(
        self,
        resource_name: str,
        role: AddonRole,
        cluster: eks.Cluster,
        account_id: pulumi.Output[str],
        opts: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        name = f"{resource_name}-{role.addon.replace('_', '-')}"
        trust = pulumi.Output.all(cluster.oidc_provider_arn, cluster.oidc_issuer).apply(
            lambda values: json.dumps(irsa_trust_policy(values[0], values[1], role.namespace, role.service_account))
        )
        iam_role = aws.iam.Role(
            name,
            assume_role_policy=trust,
            description=f"IRSA role of {role.namespace}/{role.service_account} in EKS cluster {self.name}",
            opts=opts,
        )
        for index, policy_arn in enumerate(role.managed_policy_arns):
            aws.iam.RolePolicyAttachment(f"{name}-{index}", role=iam_role.name, policy_arn=policy_arn, opts=opts)
        if role.inline_policy is not None:
            document = role.inline_policy
            policy = account_id.apply(
                lambda account: json.dumps(document(PolicyScope("aws", self.region, account, self.name)))
            )
            aws.iam.RolePolicy(name, role=iam_role.id, policy=policy, opts=opts)
        return iam_role.arn
