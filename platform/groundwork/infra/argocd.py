"""`ArgoCdBootstrap`: hand a fresh cluster over to GitOps.

Children, all through one Kubernetes provider built from the cluster's kubeconfig:
- the argo-cd chart as a Helm Release (release `argocd`, namespace `argocd`), at the version and with the
  values gitops/bootstrap pins, so the self-managing `argocd` ApplicationSet takes over without a change;
- the `bootstrap` AppProject: the root Application's only permission, to create AppProjects, ApplicationSets
  and Applications in the Argo CD namespace from this repository (the `default` project is emptied by
  gitops/bootstrap, and `platform` only exists once the root Application has synced);
- the cluster Secret for the in-cluster API server, labelled `environment` and `enable_<addon>` from stack
  config and annotated with the repository and the cloud outputs the add-on ApplicationSets template;
- the root Application syncing `bootstrapPath` of the repository at `revision`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from groundwork.gitops.versions import ChartPin
from groundwork.infra.addons import addon_labels
from groundwork.infra.sandbox import SandboxInstall, install_for_host_processes
from groundwork.infra.settings import GitSource

ARGOCD_NAMESPACE = "argocd"
ARGOCD_RELEASE = "argocd"
ROOT_APPLICATION = "root"
BOOTSTRAP_PROJECT = "bootstrap"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
ARGOCD_API_VERSION = "argoproj.io/v1alpha1"


@dataclass(frozen=True)
class ArgoCdBootstrapArgs:
    """Everything the bootstrap needs: where the cluster is, what to install and what to tell the add-ons."""

    kubeconfig: pulumi.Input[str]
    chart: ChartPin
    values: Mapping[str, object]
    source: GitSource
    cluster_name: str
    environment: str
    addons: tuple[str, ...]
    annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # The sandbox: Argo CD runs as host processes, so apply its CRDs and configuration instead of the chart.
    host_processes: SandboxInstall | None = None


class ArgoCdBootstrap(pulumi.ComponentResource):
    """Argo CD plus the root Application. Outputs: `namespace`, `root_application`."""

    namespace: str
    root_application: str

    def __init__(
        self, resource_name: str, args: ArgoCdBootstrapArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("groundwork:infra:ArgoCdBootstrap", resource_name, None, opts)
        self.namespace = ARGOCD_NAMESPACE
        self.root_application = ROOT_APPLICATION
        provider = k8s.Provider(
            f"{resource_name}-cluster",
            kubeconfig=args.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_cluster = pulumi.ResourceOptions(parent=self, provider=provider)

        installed: list[pulumi.Resource]
        if args.host_processes is not None:
            installed = install_for_host_processes(resource_name, args.host_processes, on_cluster)
        else:
            installed = [
                k8s.helm.v3.Release(
                    f"{resource_name}-chart",
                    name=ARGOCD_RELEASE,
                    chart=args.chart.chart,
                    version=args.chart.version,
                    repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart.repository),
                    namespace=ARGOCD_NAMESPACE,
                    create_namespace=True,
                    values=dict(args.values),
                    atomic=True,
                    timeout=600,
                    opts=on_cluster,
                )
            ]
        after_argocd = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=installed))

        project = k8s.apiextensions.CustomResource(
            f"{resource_name}-project",
            api_version=ARGOCD_API_VERSION,
            kind="AppProject",
            metadata=_metadata(BOOTSTRAP_PROJECT),
            spec={
                "description": "The root Application only (created by Pulumi): syncs gitops/bootstrap",
                "sourceRepos": [args.source.repo_url],
                "destinations": [{"server": IN_CLUSTER_SERVER, "namespace": ARGOCD_NAMESPACE}],
                "clusterResourceWhitelist": [],
                "namespaceResourceWhitelist": [
                    {"group": "argoproj.io", "kind": kind} for kind in ("AppProject", "ApplicationSet", "Application")
                ],
            },
            opts=after_argocd,
        )

        cluster_secret = k8s.core.v1.Secret(
            f"{resource_name}-cluster-secret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.cluster_name,
                namespace=ARGOCD_NAMESPACE,
                labels=cluster_secret_labels(args.environment, args.addons),
                annotations=cluster_secret_annotations(
                    args.source, args.cluster_name, args.environment, args.annotations
                ),
            ),
            type="Opaque",
            string_data={
                "name": args.cluster_name,
                "server": IN_CLUSTER_SERVER,
                "config": '{"tlsClientConfig":{"insecure":false}}',
            },
            opts=after_argocd,
        )

        k8s.apiextensions.CustomResource(
            f"{resource_name}-root",
            api_version=ARGOCD_API_VERSION,
            kind="Application",
            metadata=_metadata(ROOT_APPLICATION),
            spec=root_application_spec(args.source),
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[*installed, project, cluster_secret])
            ),
        )
        self.register_outputs({"namespace": self.namespace, "rootApplication": self.root_application})


def cluster_secret_labels(environment: str, addons: tuple[str, ...]) -> dict[str, str]:
    """Labels of the cluster Secret: what the ApplicationSets' cluster generators select on."""
    return {
        "argocd.argoproj.io/secret-type": "cluster",
        "app.kubernetes.io/part-of": "groundwork",
        "app.kubernetes.io/managed-by": "pulumi",
        "environment": environment,
        **addon_labels(addons),
    }


def cluster_secret_annotations(
    source: GitSource, cluster_name: str, environment: str, cloud: Mapping[str, pulumi.Input[str]]
) -> dict[str, pulumi.Input[str]]:
    """Annotations of the cluster Secret: the repository the ApplicationSets read, plus cloud outputs."""
    return {
        "addons_repo_url": source.repo_url,
        "addons_repo_revision": source.revision,
        "cluster_name": cluster_name,
        "environment": environment,
        **cloud,
    }


def root_application_spec(source: GitSource) -> dict[str, object]:
    """The root Application: the bootstrap folder of this repository, synced automatically."""
    return {
        "project": BOOTSTRAP_PROJECT,
        "source": {"repoURL": source.repo_url, "targetRevision": source.revision, "path": source.path},
        "destination": {"server": IN_CLUSTER_SERVER, "namespace": ARGOCD_NAMESPACE},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
        },
    }


def _metadata(name: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(
        name=name,
        namespace=ARGOCD_NAMESPACE,
        labels={"app.kubernetes.io/part-of": "groundwork", "app.kubernetes.io/managed-by": "pulumi"},
    )
