"""IAM roles the EKS add-ons assume through IRSA (IAM Roles for Service Accounts), as pure data.

Each role trusts exactly one Kubernetes service account (namespace and name fixed by the add-on's chart and
release name in gitops/bootstrap/addons) through the cluster's OIDC provider. The ApplicationSets read the
role ARNs from the cluster Secret annotations `<addon>_role_arn` and put them on the service account
(`eks.amazonaws.com/role-arn`). docs/adr/0003-provisioning.md says why IRSA rather than Pod Identity.
"""

from collections.abc import Callable
from dataclasses import dataclass

PolicyDocument = dict[str, object]


@dataclass(frozen=True)
class PolicyScope:
    """What an inline policy is scoped to."""

    partition: str
    region: str
    account_id: str
    cluster_name: str


@dataclass(frozen=True)
class AddonRole:
    """The IAM role of one add-on: whom it trusts and what it may do."""

    addon: str
    namespace: str
    service_account: str
    managed_policy_arns: tuple[str, ...]
    inline_policy: Callable[[PolicyScope], PolicyDocument] | None = None

    @property
    def annotation(self) -> str:
        """The cluster Secret annotation carrying this role's ARN."""
        return f"{self.addon}_role_arn"


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> PolicyDocument:
    """Trust one service account of one cluster: `oidc_issuer` is the issuer URL without `https://`."""
    issuer = oidc_issuer.removeprefix("https://")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def external_secrets_policy(scope: PolicyScope) -> PolicyDocument:
    """Read-only access to the secrets and parameters under the cluster's name (`<cluster>/...`)."""
    prefix = f"{scope.cluster_name}/"
    arn = f"arn:{scope.partition}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadClusterSecrets",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:ListSecretVersionIds",
                ],
                "Resource": f"{arn}:secretsmanager:{scope.region}:{scope.account_id}:secret:{prefix}*",
            },
            {
                "Sid": "ReadClusterParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                "Resource": f"{arn}:ssm:{scope.region}:{scope.account_id}:parameter/{prefix}*",
            },
        ],
    }


def load_balancer_controller_policy(scope: PolicyScope) -> PolicyDocument:
    """What the AWS Load Balancer Controller needs beyond ElasticLoadBalancingFullAccess: security groups for
    its load balancers, tags, certificates. Broader than the controller's own published policy (which scopes
    writes by the `elbv2.k8s.aws/cluster` tag); swap in that policy for the controller version you run."""
    del scope  # account-wide by nature: the controller discovers subnets and security groups itself
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeAvailabilityZones",
                    "ec2:DescribeTags",
                    "ec2:GetSecurityGroupsForVpc",
                    "ec2:DescribeIpamPools",
                    "acm:ListCertificates",
                    "acm:DescribeCertificate",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ManageLoadBalancerSecurityGroups",
                "Effect": "Allow",
                "Action": [
                    "ec2:CreateSecurityGroup",
                    "ec2:DeleteSecurityGroup",
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                    "ec2:CreateTags",
                    "ec2:DeleteTags",
                ],
                "Resource": "*",
            },
        ],
    }


ADDON_ROLES: tuple[AddonRole, ...] = (
    AddonRole(
        addon="external_secrets",
        namespace="external-secrets",
        service_account="external-secrets",
        managed_policy_arns=(),
        inline_policy=external_secrets_policy,
    ),
    AddonRole(
        addon="aws_ebs_csi_driver",
        namespace="kube-system",
        service_account="ebs-csi-controller-sa",
        managed_policy_arns=("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",),
    ),
    AddonRole(
        addon="aws_load_balancer_controller",
        namespace="kube-system",
        service_account="aws-load-balancer-controller",
        managed_policy_arns=("arn:aws:iam::aws:policy/ElasticLoadBalancingFullAccess",),
        inline_policy=load_balancer_controller_policy,
    ),
)

NODE_POLICY_ARNS: tuple[str, ...] = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)


def ec2_trust_policy() -> PolicyDocument:
    """Trust EC2 instances: the managed node group's instance role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
