"""The Pulumi program's body: compose the components for one stack's settings.

`load_repository_inputs` reads what the program takes from the GitOps tree (the argo-cd chart pin, its
values, the add-ons the ApplicationSets know); `build` creates the resources and returns the stack outputs.
Both are called from `infra/__main__.py` after the configuration was parsed once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi
import yaml

from groundwork.errors import GroundworkError
from groundwork.gitops.versions import ChartPin, argocd_pin
from groundwork.infra.addons import known_addons
from groundwork.infra.argocd import ArgoCdBootstrap, ArgoCdBootstrapArgs
from groundwork.infra.eks import EksCluster, EksClusterArgs
from groundwork.infra.kind import KindCluster, KindClusterArgs
from groundwork.infra.kind_config import GATEWAY_HTTP_NODE_PORT, GATEWAY_HTTPS_NODE_PORT
from groundwork.infra.sandbox import SandboxInstall, load_sandbox_install
from groundwork.infra.settings import BOOTSTRAP_PATH, Settings

# The values the argo-cd chart is installed with, relative to the bootstrap folder: the same file the
# self-managing `argocd` ApplicationSet applies (gitops/bootstrap/argocd.yaml).
ARGOCD_VALUES = "argocd/values.yaml"


@dataclass(frozen=True)
class RepositoryInputs:
    """What the program reads from the repository's GitOps tree."""

    chart: ChartPin
    argocd_values: Mapping[str, object]
    known_addons: frozenset[str]


def load_repository_inputs(repository: Path) -> RepositoryInputs:
    """The argo-cd chart pin and values, and the add-on names, from `repository`'s GitOps tree."""
    bootstrap = repository / BOOTSTRAP_PATH
    values_file = bootstrap / ARGOCD_VALUES
    try:
        values = yaml.safe_load(values_file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise GroundworkError(f"{values_file} is missing", "restore it from the repository") from None
    except yaml.YAMLError:
        raise GroundworkError(f"{values_file} is not valid YAML", "fix it ('groundwork check' shows why)") from None
    if not isinstance(values, dict):
        raise GroundworkError(f"{values_file} is not a YAML mapping of chart values", "fix it")
    return RepositoryInputs(chart=argocd_pin(repository), argocd_values=values, known_addons=known_addons(bootstrap))


def build(settings: Settings, inputs: RepositoryInputs, sandbox_state: Path | None = None) -> dict[str, object]:
    """Create the cluster for `settings.env` and bootstrap Argo CD onto it; return the stack outputs."""
    outputs: dict[str, object] = {
        "env": settings.env,
        "environment": settings.environment,
        "clusterName": settings.cluster_name,
    }
    cloud: dict[str, pulumi.Input[str]]
    kubeconfig: pulumi.Output[str]
    host_processes: SandboxInstall | None = None
    if settings.env == "sandbox":
        if sandbox_state is None:
            raise GroundworkError(
                "the sandbox stack needs the sandbox's state folder", "run 'groundwork up --env sandbox'"
            )
        kubeconfig_text, host_processes = load_sandbox_install(sandbox_state, inputs.argocd_values)
        kubeconfig = pulumi.Output.secret(kubeconfig_text)
        cloud = {"cloud": "sandbox"}
    elif settings.kind is not None:
        kind = KindCluster("kind", KindClusterArgs(name=settings.cluster_name, settings=settings.kind))
        kubeconfig = kind.kubeconfig
        cloud = {
            "cloud": "kind",
            "istio_gateway_service_type": "NodePort",
            "istio_gateway_http_node_port": str(GATEWAY_HTTP_NODE_PORT),
            "istio_gateway_https_node_port": str(GATEWAY_HTTPS_NODE_PORT),
        }
        outputs["gatewayUrl"] = f"http://localhost:{settings.kind.http_port}"
    elif settings.eks is not None:
        eks = EksCluster(
            "eks", EksClusterArgs(name=settings.cluster_name, environment=settings.environment, settings=settings.eks)
        )
        kubeconfig = eks.kubeconfig
        cloud = {
            "cloud": "aws",
            "istio_gateway_service_type": "LoadBalancer",
            "aws_region": eks.region,
            "aws_account_id": eks.account_id,
            "aws_vpc_id": eks.vpc_id,
            **eks.addon_role_arns,
        }
        outputs["region"] = eks.region
        outputs["vpcId"] = eks.vpc_id
    else:  # parse_settings sets exactly one of them
        raise GroundworkError(f"settings for env '{settings.env}' carry no cluster settings")
    argocd = ArgoCdBootstrap(
        "argocd",
        ArgoCdBootstrapArgs(
            kubeconfig=kubeconfig,
            chart=inputs.chart,
            values=inputs.argocd_values,
            source=settings.source,
            cluster_name=settings.cluster_name,
            environment=settings.environment,
            addons=settings.addons,
            annotations=cloud,
            host_processes=host_processes,
        ),
    )
    outputs["kubeconfig"] = kubeconfig
    outputs["argocdNamespace"] = argocd.namespace
    outputs["rootApplication"] = argocd.root_application
    return outputs
