"""kubectl bound to the sandbox's kubeconfig: the one runner of groundwork.provision.kube, with stdin for `apply`."""

from groundwork.provision.kube import Kube

__all__ = ["Kube"]
