"""GW_NATIVE_2: every workload is selected by an Istio ALLOW AuthorizationPolicy of its own namespace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from groundwork.policy.label_selectors import labels_subset
from groundwork.policy.violation import Document, NativeCheck
from groundwork.policy.workloads import mapping, uncovered

CHECK_ID = "GW_NATIVE_2"
NAME = "Every Deployment, StatefulSet and DaemonSet has an Istio ALLOW AuthorizationPolicy selecting its pods"


def _allows_workload(policy: Document, pod_labels: Mapping[str, str]) -> bool:
    api_version = policy.get("apiVersion")
    if not isinstance(api_version, str) or not api_version.startswith("security.istio.io/"):
        return False
    spec = mapping(policy.get("spec"))
    if spec.get("action", "ALLOW") != "ALLOW":
        return False
    return labels_subset(mapping(spec.get("selector")).get("matchLabels"), pod_labels)


def judge(documents: Sequence[Document]) -> list[tuple[str, str]]:
    return [
        (
            workload.ref,
            f"no Istio AuthorizationPolicy (action ALLOW) in {where} selects its pod labels "
            f"{dict(workload.pod_labels)}: add one with spec.selector.matchLabels naming the workload and rules "
            "listing who may call it",
        )
        for workload, where in uncovered(documents, "AuthorizationPolicy", _allows_workload)
    ]


CHECK = NativeCheck(CHECK_ID, "AuthorizationPolicyPerWorkload", NAME, judge)
