"""`KindCluster`: a local Kubernetes cluster in Docker, created and deleted by the `kind` CLI through
pulumi-command. Its kubeconfig is a secret output (it holds the cluster's client key)."""

import shlex
from dataclasses import dataclass

import pulumi
from pulumi_command import local

from groundwork.infra.kind_config import render_kind_config
from groundwork.infra.settings import KindSettings

# kind reads its config from stdin with `--config -`; `--wait` bounds the wait for a Ready control plane.
_CREATE_WAIT = "180s"


@dataclass(frozen=True)
class KindClusterArgs:
    """What a kind cluster is made of: its name and the stack's kind settings."""

    name: str
    settings: KindSettings


class KindCluster(pulumi.ComponentResource):
    """A kind cluster. Outputs: `kubeconfig` (secret), `name`."""

    kubeconfig: pulumi.Output[str]
    name: str
    config_yaml: str

    def __init__(self, resource_name: str, args: KindClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:infra:KindCluster", resource_name, None, opts)
        self.name = args.name
        self.config_yaml = render_kind_config(args.name, args.settings)
        cluster = shlex.quote(args.name)
        created = local.Command(
            f"{resource_name}-cluster",
            # kind reports progress on stderr; stdout carries only the kubeconfig printed afterwards.
            create=(
                f"kind create cluster --name {cluster} --config - --wait {_CREATE_WAIT} 1>&2"
                f" && kind get kubeconfig --name {cluster}"
            ),
            delete=f"kind delete cluster --name {cluster}",
            stdin=self.config_yaml,
            # Any change to the generated config (node image, ports, workers) replaces the cluster.
            triggers=[self.config_yaml],
            # Log kind's progress, never stdout: it is the kubeconfig.
            logging=local.Logging.STDERR,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stdout"], delete_before_replace=True),
        )
        self.kubeconfig = pulumi.Output.secret(created.stdout)
        self.register_outputs({"kubeconfig": self.kubeconfig, "name": self.name})
