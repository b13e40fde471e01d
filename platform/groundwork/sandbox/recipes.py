"""How each sandbox tool is built from its Go module. The versions are not here: gitops/versions.yaml
(`tools:`) pins every one, and `groundwork.sandbox.toolchain` joins a pin with its recipe.

A recipe names the packages to build, the binaries they produce, and the linker flags that stamp the real
version into the binary (clients and Argo CD read the API server's version; Pulumi matches plugin versions).
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Recipe:
    """How to build one tool: `packages` (module-relative, '' for the module root) -> `binaries`."""

    packages: tuple[str, ...]
    binaries: tuple[str, ...]
    ldflags: Callable[[str], str] = lambda version: ""
    # Kubernetes' staging modules are published at v0.<minor>.<patch> of the release.
    kubernetes_staging: bool = False
    # A `go generate` step the module needs before it builds (a command run in that package's folder).
    generate: tuple[str, tuple[str, ...]] | None = None
    # Extra environment for `go build` (CGO_ENABLED and the like).
    env: dict[str, str] = field(default_factory=dict)
    # A main package of groundwork's own (a file in sandbox/mains/) that links only the module's `packages` the
    # sandbox runs; then `binaries` holds the one binary it builds.
    main: str | None = None


def _kubernetes_ldflags(version: str) -> str:
    major, minor = version.lstrip("v").split(".")[:2]
    base = "k8s.io/component-base/version"
    return (
        f"-X {base}.gitVersion={version} -X {base}.gitMajor={major} -X {base}.gitMinor={minor} "
        f"-X {base}.gitTreeState=clean"
    )


def _argocd_ldflags(version: str) -> str:
    common = "github.com/argoproj/argo-cd/v3/common"
    return f"-X {common}.version={version.lstrip('v')} -X {common}.gitTreeState=clean"


# In build order (sandbox/build.py builds two at a time): Helm first, because the gate's tests use it early in the
# suite; then by cold build time on 2 cores, longest first (bench/results/sandbox-2026-12-06.md).
RECIPES: dict[str, Recipe] = {
    "helm": Recipe(
        packages=("cmd/helm",),
        binaries=("helm",),
        ldflags=lambda version: f"-X helm.sh/helm/v4/internal/version.version={version}",
        env={"CGO_ENABLED": "0"},
    ),
    "kubernetes": Recipe(
        packages=("cmd/kube-apiserver", "cmd/kube-controller-manager", "cmd/kube-scheduler"),
        binaries=("kube-apiserver", "kube-controller-manager", "kube-scheduler"),
        ldflags=_kubernetes_ldflags,
        kubernetes_staging=True,
        env={"CGO_ENABLED": "0"},
    ),
    "argocd": Recipe(
        packages=(
            "cmd/argocd-application-controller/commands",
            "cmd/argocd-repo-server/commands",
            "cmd/argocd-applicationset-controller/commands",
        ),
        binaries=("argocd-components",),
        ldflags=_argocd_ldflags,
        env={"CGO_ENABLED": "0"},
        main="argocd_components.go",
    ),
    "pulumi_kubernetes": Recipe(
        packages=("cmd/pulumi-resource-kubernetes",),
        binaries=("pulumi-resource-kubernetes",),
        ldflags=lambda version: (
            f"-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version={_semver(version)}"
        ),
        generate=("cmd/pulumi-resource-kubernetes", ("go", "run", "./generate.go")),
        env={"CGO_ENABLED": "0"},
    ),
    "pulumi": Recipe(
        packages=("cmd/pulumi",),
        binaries=("pulumi",),
        ldflags=lambda version: f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={version}",
        env={"CGO_ENABLED": "0"},
    ),
    "kwok": Recipe(
        packages=("cmd/kwok",),
        binaries=("kwok",),
        ldflags=lambda version: f"-X sigs.k8s.io/kwok/pkg/consts.Version={version}",
        env={"CGO_ENABLED": "0"},
    ),
    "etcd": Recipe(packages=("",), binaries=("etcd",), env={"CGO_ENABLED": "0"}),
    "kustomize": Recipe(
        packages=("",),
        binaries=("kustomize",),
        ldflags=lambda version: f"-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/{version}",
        env={"CGO_ENABLED": "0"},
    ),
}

# Modules read for their files, not built: the CRDs the apps' manifests need come from these (sandbox/crds.py;
# cloudnative_pg: the gate's, check/validate/crd_schemas.py).
SOURCES = ("argocd", "istio_api", "prometheus_operator", "cloudnative_pg")


def _semver(version: str) -> str:
    """A module version as the semver Pulumi plugins report: v4.0.0-2026... -> 4.0.0-2026..."""
    return version.lstrip("v")


def semver(version: str) -> str:
    return _semver(version)
