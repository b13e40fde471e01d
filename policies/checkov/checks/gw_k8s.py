"""Helpers shared by groundwork's custom checkov checks: where a manifest keeps its pod template and labels.

checkov imports every ``.py`` file of this folder as a check module, with the folder on ``sys.path``, so the
checks import this module by its bare name. It registers no check itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

OWNER_LABEL = "groundwork.dev/owner"
ENVIRONMENT_LABEL = "groundwork.dev/environment"
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# Kinds whose pod template sits at spec.template; CronJob nests one level deeper; Pod is its own template.
TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job")
WORKLOAD_KINDS = ("Pod", *TEMPLATE_KINDS, "CronJob")
# Long-running workloads: the ones that serve traffic and therefore need start-up/readiness semantics.
SERVING_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def labels_of(metadata: Any) -> dict[str, Any]:
    """The labels of a metadata block, without checkov's line-number bookkeeping keys."""
    labels = _mapping(_mapping(metadata).get("labels"))
    return {k: v for k, v in labels.items() if not k.startswith("__")}


def pod_template(conf: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(pod metadata, pod spec) of a workload manifest, or None when it has none."""
    kind = conf.get("kind")
    if kind == "Pod":
        return _mapping(conf.get("metadata")), _mapping(conf.get("spec"))
    spec = _mapping(conf.get("spec"))
    if kind == "CronJob":
        spec = _mapping(_mapping(_mapping(spec.get("jobTemplate")).get("spec")))
    elif kind not in TEMPLATE_KINDS:
        return None
    template = _mapping(spec.get("template"))
    if not template:
        return None
    return _mapping(template.get("metadata")), _mapping(template.get("spec"))


def containers(
    pod_spec: dict[str, Any], kinds: tuple[str, ...] = ("initContainers", "containers")
) -> Iterator[dict[str, Any]]:
    """The container entries of a pod spec, in the order given by ``kinds``."""
    for kind in kinds:
        entries = pod_spec.get(kind)
        if isinstance(entries, list):
            yield from (c for c in entries if isinstance(c, dict))
