"""The pieces of rendered manifests the native checks reason about: workloads, their pods and replicas."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from groundwork.policy.violation import Document

# Controllers whose pod template sits at spec.template.
POD_CONTROLLERS = ("Deployment", "StatefulSet", "DaemonSet")
REPLICATED = ("Deployment", "StatefulSet")


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def kind_of(document: Document) -> str:
    kind = document.get("kind")
    return kind if isinstance(kind, str) else ""


def namespace_of(document: Document) -> str:
    namespace = mapping(document.get("metadata")).get("namespace")
    return namespace if isinstance(namespace, str) else ""


def name_of(document: Document) -> str:
    name = mapping(document.get("metadata")).get("name")
    return name if isinstance(name, str) else ""


def ref(document: Document) -> str:
    """`Kind namespace/name`, as the gate names a resource."""
    namespace, name = namespace_of(document), name_of(document)
    return f"{kind_of(document)} {namespace}/{name}" if namespace else f"{kind_of(document)} {name}"


@dataclass(frozen=True)
class Workload:
    document: Document
    kind: str
    name: str
    namespace: str
    pod_labels: Mapping[str, str]
    replicas: int | None  # spec.replicas as written; None when absent (an HPA may own it)

    @property
    def ref(self) -> str:
        return ref(self.document)


def workloads(documents: Sequence[Document], kinds: Sequence[str] = POD_CONTROLLERS) -> Iterator[Workload]:
    for document in documents:
        kind = kind_of(document)
        if kind not in kinds:
            continue
        spec = mapping(document.get("spec"))
        labels = mapping(mapping(mapping(spec.get("template")).get("metadata")).get("labels"))
        replicas = spec.get("replicas")
        yield Workload(
            document=document,
            kind=kind,
            name=name_of(document),
            namespace=namespace_of(document),
            pod_labels={str(k): str(v) for k, v in labels.items()},
            replicas=replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else None,
        )


def minimum_replicas(workload: Workload, documents: Sequence[Document]) -> int:
    """The fewest pods the workload runs: an HPA's minReplicas (default 1) when one targets it, else
    spec.replicas (default 1)."""
    for document in documents:
        if kind_of(document) != "HorizontalPodAutoscaler" or namespace_of(document) != workload.namespace:
            continue
        spec = mapping(document.get("spec"))
        target = mapping(spec.get("scaleTargetRef"))
        if target.get("kind") == workload.kind and target.get("name") == workload.name:
            minimum = spec.get("minReplicas", 1)
            return minimum if isinstance(minimum, int) and not isinstance(minimum, bool) else 1
    return 1 if workload.replicas is None else workload.replicas


def in_namespace(documents: Sequence[Document], kind: str, namespace: str) -> Iterator[Document]:
    return (d for d in documents if kind_of(d) == kind and namespace_of(d) == namespace)


def uncovered(
    documents: Sequence[Document], kind: str, covers: Callable[[Document, Mapping[str, str]], bool]
) -> Iterator[tuple[Workload, str]]:
    """Each workload that no `kind` document of its own namespace `covers` (judged on its pod labels), with
    where that document was missing ("namespace 'x'", or "the same namespace" for a namespace-less one)."""
    for workload in workloads(documents, POD_CONTROLLERS):
        if not any(covers(p, workload.pod_labels) for p in in_namespace(documents, kind, workload.namespace)):
            yield workload, f"namespace '{workload.namespace}'" if workload.namespace else "the same namespace"
