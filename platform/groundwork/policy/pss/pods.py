"""Where a manifest keeps its pod, and the pod's containers of every kind, each with its path in the document.

A path is the list of keys and list indices from the document's root to a field, so that a finding can be
placed on the line of the source file that set it (`groundwork.check.positions`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from groundwork.policy.violation import Document, FieldPath
from groundwork.policy.workloads import kind_of, mapping, ref

# Where each kind keeps its pod template (metadata and spec sit side by side under that path).
POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "PodTemplate": ("template",),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# Every kind of container PSS restricts, as the field that holds it and the singular a message uses.
CONTAINER_FIELDS = {
    "containers": "container",
    "initContainers": "initContainer",
    "ephemeralContainers": "ephemeralContainer",
}


@dataclass(frozen=True)
class Container:
    field: str  # containers, initContainers or ephemeralContainers
    index: int
    body: Mapping[str, Any]
    path: FieldPath

    @property
    def name(self) -> str:
        name = self.body.get("name")
        return name if isinstance(name, str) else f"#{self.index}"

    @property
    def label(self) -> str:
        return f"{CONTAINER_FIELDS[self.field]} '{self.name}'"

    @property
    def security(self) -> Mapping[str, Any]:
        return mapping(self.body.get("securityContext"))

    def at(self, *keys: str | int) -> FieldPath:
        return (*self.path, *keys)

    def setting(self, *keys: str) -> Any:
        """The value of securityContext.<keys...>, or None when any step is missing."""
        value: Any = self.security
        for key in keys:
            value = mapping(value).get(key)
        return value


@dataclass(frozen=True)
class Pod:
    document: Document
    template: FieldPath  # the path of the object holding the pod's metadata and spec
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]

    @property
    def ref(self) -> str:
        return ref(self.document)

    @property
    def spec_path(self) -> FieldPath:
        return (*self.template, "spec")

    @property
    def security(self) -> Mapping[str, Any]:
        return mapping(self.spec.get("securityContext"))

    @property
    def windows(self) -> bool:
        """spec.os.name is windows: PSS exempts such pods from the Linux-only restricted controls."""
        return mapping(self.spec.get("os")).get("name") == "windows"

    def at(self, *keys: str | int) -> FieldPath:
        return (*self.spec_path, *keys)

    def setting(self, *keys: str) -> Any:
        """The value of spec.securityContext.<keys...>, or None when any step is missing."""
        value: Any = self.security
        for key in keys:
            value = mapping(value).get(key)
        return value

    def containers(self) -> Iterator[Container]:
        for field in CONTAINER_FIELDS:
            entries = self.spec.get(field)
            if isinstance(entries, list):
                for index, body in enumerate(entries):
                    if isinstance(body, Mapping):
                        yield Container(field, index, body, self.at(field, index))


def pods(documents: Sequence[Document]) -> Iterator[Pod]:
    """Every pod (template) the documents declare."""
    for document in documents:
        template = POD_TEMPLATES.get(kind_of(document))
        if template is None:
            continue
        holder: Any = document
        for key in template:
            holder = mapping(holder).get(key)
        if not isinstance(holder, Mapping) or not isinstance(holder.get("spec"), Mapping):
            continue
        yield Pod(document, template, mapping(holder.get("metadata")), holder["spec"])
