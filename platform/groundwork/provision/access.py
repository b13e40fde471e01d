"""What `groundwork up` prints at the end: how to reach Argo CD, Grafana and the ingress gateway.

Names follow gitops/: Argo CD's `argocd-server` (release `argocd`), Grafana of the `kube-prometheus-stack`
release in `monitoring`, the Istio ingress gateway `istio-ingressgateway` in `istio-ingress`.
"""

from collections.abc import Sequence
from pathlib import Path

ARGOCD = ("argocd", "argocd-server")
GRAFANA = ("monitoring", "kube-prometheus-stack-grafana")
GATEWAY = ("istio-ingress", "istio-ingressgateway")


def access_lines(env: str, kubeconfig: Path, gateway_url: str | None, public_hosts: Sequence[str]) -> list[str]:
    """Copy-pasteable commands, one concern per line."""
    k = f"kubectl --kubeconfig {kubeconfig}"
    lines = [
        f"kubeconfig: export KUBECONFIG={kubeconfig}",
        f"Argo CD:    {k} -n {ARGOCD[0]} port-forward svc/{ARGOCD[1]} 8081:80  -> http://localhost:8081 (user admin)",
        f"            password: {k} -n {ARGOCD[0]} get secret argocd-initial-admin-secret"
        " -o jsonpath='{.data.password}' | base64 -d",
        f"Grafana:    {k} -n {GRAFANA[0]} port-forward svc/{GRAFANA[1]} 3000:80  -> http://localhost:3000 (user admin)",
        f"            password: {k} -n {GRAFANA[0]} get secret {GRAFANA[1]}"
        " -o jsonpath='{.data.admin-password}' | base64 -d",
    ]
    if env == "kind" and gateway_url:
        lines.append(f"Gateway:    {gateway_url}")
    else:
        lines.append(
            f"Gateway:    {k} -n {GATEWAY[0]} get svc {GATEWAY[1]}"
            " -o jsonpath='{.status.loadBalancer.ingress[0].hostname}'"
        )
    base = gateway_url or "http://<gateway address>"
    for host in public_hosts:
        lines.append(f"            curl -H 'Host: {host}' {base}/v1/chain")
    return lines
