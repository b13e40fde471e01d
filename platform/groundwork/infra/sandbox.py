"""What the sandbox stack applies instead of the argo-cd Helm chart.

In the sandbox, Argo CD's workloads are host processes (`groundwork.sandbox.argocd`), and the argo-cd chart
cannot be fetched on a machine without a chart repository. So the stack applies only what those processes need,
from real sources: Argo CD's CRDs from its own module at the pinned version, the ConfigMaps the chart would
render from gitops/bootstrap/argocd/values.yaml (`configs.cm`, `configs.rbac`, `configs.params`), the
`argocd-secret` and the `argocd-redis` Secret. It also applies the CRDs that the apps' manifests need and that
add-on charts install elsewhere (Istio's from istio.io/api, prometheus-operator's from its module), because
those charts cannot be fetched either. Everything else (AppProject, cluster Secret, root Application) is the
same code as on kind and EKS.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

ARGOCD_NAMESPACE = "argocd"
LABELS = {"app.kubernetes.io/part-of": "argocd", "app.kubernetes.io/managed-by": "pulumi"}


@dataclass(frozen=True)
class SandboxInstall:
    """Inputs of the host-process install: CRD files (upstream, from the Go module cache), chart values,
    the Redis password the processes were started with, and a server secret key."""

    crd_files: Sequence[Path]
    values: Mapping[str, object]
    redis_password: str
    server_secret_key: str


def install_for_host_processes(
    resource_name: str, install: SandboxInstall, opts: pulumi.ResourceOptions
) -> list[pulumi.Resource]:
    """Apply Argo CD's CRDs and configuration (and the apps' CRDs); return what later resources depend on."""
    namespace = k8s.core.v1.Namespace(
        f"{resource_name}-namespace",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=ARGOCD_NAMESPACE, labels=LABELS),
        opts=opts,
    )
    in_namespace = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace]))
    resources: list[pulumi.Resource] = [namespace]
    for path in install.crd_files:
        resources.append(k8s.yaml.v2.ConfigFile(f"{resource_name}-crds-{_slug(path)}", file=str(path), opts=opts))
    configs = install.values.get("configs") if isinstance(install.values.get("configs"), dict) else {}
    assert isinstance(configs, dict)
    for key, name in (("cm", "argocd-cm"), ("rbac", "argocd-rbac-cm"), ("params", "argocd-cmd-params-cm")):
        data = configs.get(key) or {}
        resources.append(
            k8s.core.v1.ConfigMap(
                f"{resource_name}-{name}",
                metadata=_meta(name),
                data={str(k): _text(v) for k, v in dict(data).items()},
                opts=in_namespace,
            )
        )
    resources.append(
        k8s.core.v1.Secret(
            f"{resource_name}-argocd-secret",
            metadata=_meta("argocd-secret"),
            type="Opaque",
            string_data={"server.secretkey": install.server_secret_key},
            opts=in_namespace,
        )
    )
    resources.append(
        k8s.core.v1.Secret(
            f"{resource_name}-argocd-redis",
            metadata=_meta("argocd-redis"),
            type="Opaque",
            string_data={"auth": install.redis_password},
            opts=in_namespace,
        )
    )
    return resources


def _meta(name: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=ARGOCD_NAMESPACE, labels=LABELS)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _slug(path: Path) -> str:
    stem = path.name.removesuffix(".yaml").removesuffix(".gen")
    return "".join(ch if ch.isalnum() else "-" for ch in stem.lower()).strip("-")[:40]


# Written by `groundwork up --env sandbox` before Pulumi runs (groundwork.sandbox.up), read by the program.
STACK_INPUTS = "stack-inputs.json"


def load_sandbox_install(state: Path, values: Mapping[str, object]) -> tuple[str, SandboxInstall]:
    """The sandbox's kubeconfig text and install inputs, from the state folder `up` prepared."""
    import json

    from groundwork.errors import GroundworkError

    try:
        inputs = json.loads((state / STACK_INPUTS).read_text(encoding="utf-8"))
        kubeconfig = Path(inputs["kubeconfig"]).read_text(encoding="utf-8")
        redis_password = Path(inputs["redis_password_file"]).read_text(encoding="utf-8").strip()
        secret_key = Path(inputs["server_secret_key_file"]).read_text(encoding="utf-8").strip()
    except (OSError, ValueError, KeyError, TypeError):
        raise GroundworkError(
            f"the sandbox is not running ({state / STACK_INPUTS} is missing or incomplete)",
            "run 'groundwork up --env sandbox', which starts the sandbox before Pulumi",
        ) from None
    crds = [Path(str(path)) for path in inputs.get("crd_files", [])]
    return kubeconfig, SandboxInstall(
        crd_files=crds, values=values, redis_password=redis_password, server_secret_key=secret_key
    )
