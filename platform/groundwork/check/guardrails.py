"""Pod Security Standards and RBAC guardrails over the rendered tree, with the path of each offending field.

PSS: a service's pods are judged against restricted (the platform contract; its namespace enforces it too);
any other pod against the level its Namespace enforces (`pod-security.kubernetes.io/enforce`, as admission
would), restricted when the tree does not declare the namespace. The platform rules beyond PSS
(`groundwork.policy.pss.platform_rules`) apply to services' pods.

RBAC, for services only (gitops/apps/<app>): no binding of a ClusterRole (cluster-admin or any other) to a
subject, and no cluster-scoped RBAC object unless the environment's AppProject (the project an app's
Application uses is named after the environment) admits its kind in clusterResourceWhitelist.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

from groundwork.check.model import Document, Finding, Stage
from groundwork.policy.pss import PLATFORM_CHECKS, checks_for
from groundwork.policy.pss.control import RESTRICTED
from groundwork.policy.pss.pods import POD_TEMPLATES

ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
RBAC_GROUP = "rbac.authorization.k8s.io"
CLUSTER_RBAC_KINDS = ("ClusterRole", "ClusterRoleBinding")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
CLUSTER_ROLE_BINDING_RULE = "GW_RBAC_NO_CLUSTER_ROLE_BINDING"
CLUSTER_SCOPED_RULE = "GW_RBAC_CLUSTER_SCOPED"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def namespace_levels(documents: Sequence[Document]) -> dict[str, str]:
    """namespace -> the PSS level its Namespace object enforces, for every Namespace the tree declares."""
    levels: dict[str, str] = {}
    for document in documents:
        if document.kind == "Namespace" and document.name:
            labels = _mapping(_mapping(document.body.get("metadata")).get("labels"))
            levels[document.name] = str(labels.get(ENFORCE_LABEL, "privileged"))
    return levels


def pss_findings(documents: Sequence[Document]) -> list[Finding]:
    levels = namespace_levels(documents)
    findings: list[Finding] = []
    for document in documents:
        if document.kind not in POD_TEMPLATES:
            continue
        service = document.target.service
        level = RESTRICTED if service else levels.get(document.namespace, RESTRICTED)
        checks = (*checks_for(level), *PLATFORM_CHECKS) if service else checks_for(level)
        for check in checks:
            for _resource, message, *path in check.judge([document.body]):
                findings.append(Finding.about(document, Stage.POLICY, check.check_id, message, *path))
    return findings


def rbac_findings(documents: Sequence[Document]) -> list[Finding]:
    projects = {d.name: d.body for d in documents if d.kind == "AppProject" and d.api_version.startswith("argoproj")}
    findings: list[Finding] = []
    for document in documents:
        if not document.target.service or not document.api_version.startswith(RBAC_GROUP):
            continue
        if document.kind in BINDING_KINDS:
            findings += _cluster_role_bindings(document)
        if document.kind in CLUSTER_RBAC_KINDS:
            project = document.target.env
            if not _project_admits(projects.get(project), document.kind):
                why = (
                    f"AppProject '{project}' does not admit {document.kind} in its clusterResourceWhitelist"
                    if project in projects
                    else f"the tree declares no AppProject '{project}' admitting it"
                )
                findings.append(
                    Finding.about(
                        document,
                        Stage.POLICY,
                        CLUSTER_SCOPED_RULE,
                        f"{document.kind} is cluster-scoped RBAC in an app, and {why}: use a Role and RoleBinding "
                        "in the app's namespace, or have the platform team admit the kind in that AppProject",
                        ("kind",),
                    )
                )
    return findings


def _cluster_role_bindings(document: Document) -> list[Finding]:
    role = _mapping(document.body.get("roleRef"))
    if role.get("kind") != "ClusterRole":
        return []
    subjects = document.body.get("subjects")
    bound = [
        f"{_mapping(s).get('kind')} "
        + "/".join(str(p) for p in (_mapping(s).get("namespace") or document.namespace, _mapping(s).get("name")) if p)
        for s in (subjects if isinstance(subjects, list) else [])
    ]
    if not bound:
        return []
    message = (
        f"{document.kind} binds ClusterRole '{role.get('name')}' to {', '.join(bound)}: an app's service account "
        "gets no ClusterRole (cluster-admin least of all); bind a Role of the app's own namespace instead"
    )
    return [Finding.about(document, Stage.POLICY, CLUSTER_ROLE_BINDING_RULE, message, ("roleRef", "name"))]


def _project_admits(project: Mapping[str, Any] | None, kind: str) -> bool:
    if project is None:
        return False
    spec = _mapping(project.get("spec"))

    def listed(key: str) -> bool:
        entries = spec.get(key)
        return any(
            fnmatch.fnmatchcase(RBAC_GROUP, str(_mapping(e).get("group", "")))
            and fnmatch.fnmatchcase(kind, str(_mapping(e).get("kind", "")))
            for e in (entries if isinstance(entries, list) else [])
        )

    return listed("clusterResourceWhitelist") and not listed("clusterResourceBlacklist")


def guardrail_findings(documents: Sequence[Document]) -> list[Finding]:
    return [*pss_findings(documents), *rbac_findings(documents)]
