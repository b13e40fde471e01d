"""GW_NATIVE_4: every workload's pods are ingress-isolated by a NetworkPolicy of their own namespace.

Replaces checkov's CKV2_K8S_6, whose graph ignores namespaces and files: a NetworkPolicy of one environment
covers the pods of every other, and one ``podSelector: {}`` policy anywhere covers every pod scanned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from groundwork.policy.label_selectors import selector_matches
from groundwork.policy.violation import Document, NativeCheck
from groundwork.policy.workloads import mapping, uncovered

CHECK_ID = "GW_NATIVE_4"
NAME = "Every Deployment, StatefulSet and DaemonSet has its pods selected by an Ingress NetworkPolicy"


def _isolates_ingress(policy: Document, pod_labels: Mapping[str, str]) -> bool:
    spec = mapping(policy.get("spec"))
    policy_types = spec.get("policyTypes")
    # Without policyTypes, a NetworkPolicy always covers Ingress (and Egress only when it has egress rules).
    if isinstance(policy_types, list) and "Ingress" not in policy_types:
        return False
    return selector_matches(spec.get("podSelector"), pod_labels)


def judge(documents: Sequence[Document]) -> list[tuple[str, str]]:
    return [
        (
            workload.ref,
            f"no NetworkPolicy with policyType Ingress in {where} selects its pod labels "
            f"{dict(workload.pod_labels)}: add one (a namespace default-deny with podSelector: {{}} counts)",
        )
        for workload, where in uncovered(documents, "NetworkPolicy", _isolates_ingress)
    ]


CHECK = NativeCheck(CHECK_ID, "NetworkPolicyPerWorkload", NAME, judge)
