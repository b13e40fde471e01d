"""GW_NATIVE_1: a workload that runs two or more replicas has a PodDisruptionBudget that lets drains proceed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from groundwork.policy.label_selectors import selector_matches
from groundwork.policy.violation import Document, NativeCheck
from groundwork.policy.workloads import REPLICATED, in_namespace, mapping, minimum_replicas, name_of, workloads

CHECK_ID = "GW_NATIVE_1"
NAME = "A Deployment or StatefulSet with >= 2 replicas (HPA minReplicas) has a PodDisruptionBudget selecting its pods"


def _allows_no_disruption(budget: Document, replicas: int) -> bool:
    """Whether the budget forbids every voluntary eviction when the workload runs `replicas` pods."""
    spec = mapping(budget.get("spec"))
    max_unavailable: Any = spec.get("maxUnavailable")
    min_available: Any = spec.get("minAvailable")
    if max_unavailable is not None:
        return str(max_unavailable).strip() in ("0", "0%")
    if isinstance(min_available, int) and not isinstance(min_available, bool):
        return min_available >= replicas
    return str(min_available).strip() == "100%"


def _selects(budget: Document, pod_labels: Mapping[str, str]) -> bool:
    return selector_matches(mapping(budget.get("spec")).get("selector"), pod_labels)


def judge(documents: Sequence[Document]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for workload in workloads(documents, REPLICATED):
        replicas = minimum_replicas(workload, documents)
        if replicas < 2:
            continue
        candidates = in_namespace(documents, "PodDisruptionBudget", workload.namespace)
        budgets = [b for b in candidates if _selects(b, workload.pod_labels)]
        where = f"namespace '{workload.namespace}'" if workload.namespace else "the same namespace"
        if not budgets:
            problems.append(
                (
                    workload.ref,
                    f"runs at least {replicas} replicas but no PodDisruptionBudget in {where} selects its pod labels "
                    f"{dict(workload.pod_labels)}: add one (e.g. maxUnavailable: 1) whose selector matches them",
                )
            )
        elif all(_allows_no_disruption(b, replicas) for b in budgets):
            names = ", ".join(sorted(name_of(b) for b in budgets))
            problems.append(
                (
                    workload.ref,
                    f"its PodDisruptionBudget ({names}) allows no voluntary disruption at {replicas} replicas, so node "
                    "drains hang: use maxUnavailable: 1 (or a minAvailable below the replica count)",
                )
            )
    return problems


CHECK = NativeCheck(CHECK_ID, "PdbForReplicatedWorkload", NAME, judge)
