"""GW_NATIVE_5: pull-request previews stay in the ``preview`` AppProject, and the project stays a preview one.

- An ApplicationSet with a ``pullRequest`` generator (at any depth of matrix/merge) names the project
  ``preview`` literally: a templated or other project would let a pull request pick where it deploys (Argo CD's
  ApplicationSet security notes). Its destination namespace carries the pull request's number (one namespace
  per pull request, so closing one tears down only its own), it has no ``templatePatch`` (which could change
  the project per pull request) and it does not preserve resources on deletion (a preview outliving its pull
  request).
- No other ApplicationSet, and no hand-written Application, uses ``preview``.
- The ``preview`` AppProject admits only ``*-pr-*`` namespaces, only Namespaces cluster-wide, and an explicit
  list of namespaced kinds (no wildcard).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from groundwork.policy.violation import Document, NativeCheck
from groundwork.policy.workloads import kind_of, mapping, name_of, ref

CHECK_ID = "GW_NATIVE_5"
NAME = "Pull-request Applications use the 'preview' AppProject, one namespace per pull request; nothing else uses it"
PREVIEW_PROJECT = "preview"
PR_NUMBER = re.compile(r"\{\{-?\s*\.?number\s*-?\}\}")


def _argo(document: Document, kind: str) -> bool:
    return kind_of(document) == kind and str(document.get("apiVersion", "")).startswith("argoproj.io/")


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _has_pull_request_generator(appset: Document) -> bool:
    generators = mapping(appset.get("spec")).get("generators")
    return any(isinstance(node, dict) and "pullRequest" in node for node in _walk(generators))


def _judge_appset(appset: Document) -> list[str]:
    spec = mapping(appset.get("spec"))
    app_spec = mapping(mapping(spec.get("template")).get("spec"))
    project = app_spec.get("project")
    if not _has_pull_request_generator(appset):
        if project == PREVIEW_PROJECT:
            return ["uses the 'preview' project without a pullRequest generator: only previews belong there"]
        return []
    problems = []
    if project != PREVIEW_PROJECT:
        problems.append(
            f"generates pull-request Applications in project '{project}': use 'preview' literally, so a pull "
            "request cannot deploy outside the previews"
        )
    namespace = str(mapping(app_spec.get("destination")).get("namespace") or "")
    if not PR_NUMBER.search(namespace):
        problems.append(
            f"destination.namespace '{namespace}' is shared by every pull request: include '{{{{ .number }}}}' "
            "(one namespace per pull request)"
        )
    kustomize_namespace = mapping(mapping(app_spec.get("source")).get("kustomize")).get("namespace")
    if kustomize_namespace is not None and str(kustomize_namespace) != namespace:
        problems.append("source.kustomize.namespace differs from destination.namespace: use the same per-PR namespace")
    if spec.get("templatePatch"):
        problems.append("has a templatePatch, which can change the project per pull request: drop it")
    if mapping(spec.get("syncPolicy")).get("preserveResourcesOnDeletion") is True:
        problems.append("preserves resources on deletion: a preview would outlive its pull request")
    return problems


def _judge_project(project: Document) -> list[str]:
    spec = mapping(project.get("spec"))
    problems = []
    allowed = [
        str(mapping(d).get("namespace", ""))
        for d in spec.get("destinations") or []
        if not str(mapping(d).get("namespace", "")).startswith("!")
    ]
    wide = [namespace for namespace in allowed if "-pr-" not in namespace]
    if wide:
        problems.append(f"admits destination namespaces {wide}: admit only pull-request namespaces ('*-pr-*')")
    cluster = [(mapping(k).get("group"), mapping(k).get("kind")) for k in spec.get("clusterResourceWhitelist") or []]
    if any(entry != ("", "Namespace") for entry in cluster):
        problems.append("admits cluster-scoped kinds other than Namespace: a preview creates its Namespace only")
    namespaced = [mapping(k) for k in spec.get("namespaceResourceWhitelist") or []]
    if not namespaced or any("*" in (str(k.get("group")), str(k.get("kind"))) for k in namespaced):
        problems.append("namespaceResourceWhitelist is missing or has a wildcard: list the kinds a preview keeps")
    return problems


def judge(documents: Sequence[Document]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for document in documents:
        if _argo(document, "ApplicationSet"):
            problems += [(ref(document), message) for message in _judge_appset(document)]
        elif _argo(document, "Application"):
            if mapping(document.get("spec")).get("project") == PREVIEW_PROJECT:
                problems.append(
                    (ref(document), "uses the 'preview' project: previews come only from a pullRequest ApplicationSet")
                )
        elif _argo(document, "AppProject") and name_of(document) == PREVIEW_PROJECT:
            problems += [(ref(document), message) for message in _judge_project(document)]
    return problems


CHECK = NativeCheck(CHECK_ID, "PreviewsStayInPreviewProject", NAME, judge)
