"""The CRDs the sandbox applies, from their upstream files in the Go modules `gitops/versions.yaml` pins.

- Argo CD's own (Application, ApplicationSet, AppProject): `manifests/crds/` of the argo-cd module;
- Istio's (VirtualService, AuthorizationPolicy, ...): `kubernetes/customresourcedefinitions.gen.yaml`
  of istio.io/api, the file the istio-base chart ships;
- prometheus-operator's (ServiceMonitor, PrometheusRule, ...): `example/prometheus-operator-crd/` of the
  prometheus-operator module, the files the prometheus-operator-crds chart ships.
None is written by hand; `go mod download` fetches each module through the Go module proxy.
"""

from pathlib import Path

from groundwork.errors import GroundworkError
from groundwork.sandbox.toolchain import Toolchain

ARGOCD_CRDS = ("application-crd.yaml", "applicationset-crd.yaml", "appproject-crd.yaml")


def crd_files(tools: Toolchain) -> list[Path]:
    argocd = tools.source_dir("argocd") / "manifests" / "crds"
    istio = tools.source_dir("istio_api") / "kubernetes" / "customresourcedefinitions.gen.yaml"
    prometheus = tools.source_dir("prometheus_operator") / "example" / "prometheus-operator-crd"
    files = [argocd / name for name in ARGOCD_CRDS] + [istio] + sorted(prometheus.glob("monitoring.coreos.com_*.yaml"))
    missing = [str(path) for path in files if not path.is_file()]
    if missing or len(files) < len(ARGOCD_CRDS) + 2:
        raise GroundworkError(
            f"upstream CRD files are missing: {', '.join(missing) or prometheus}",
            "check the module versions under 'tools:' in gitops/versions.yaml",
        )
    return files
