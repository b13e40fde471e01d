"""GW_NATIVE_3: Argo CD ApplicationSets generate Applications in an AppProject other than ``default``.

Judged here, not by checkov's CKV_GW_4 (which covers Applications): checkov's Kubernetes parser silently drops
every document holding a ``name`` with ``{``, ``}`` or ``#``, i.e. every ApplicationSet whose template names
its Applications with a generator parameter.
"""

from __future__ import annotations

from collections.abc import Sequence

from groundwork.policy.violation import Document, NativeCheck
from groundwork.policy.workloads import kind_of, mapping, ref

CHECK_ID = "GW_NATIVE_3"
NAME = "Argo CD ApplicationSets set spec.template.spec.project to an AppProject other than 'default'"


def judge(documents: Sequence[Document]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for document in documents:
        api_version = document.get("apiVersion")
        if kind_of(document) != "ApplicationSet" or not str(api_version).startswith("argoproj.io/"):
            continue
        project = mapping(mapping(mapping(document.get("spec")).get("template")).get("spec")).get("project")
        if not isinstance(project, str) or not project.strip():
            problems.append((ref(document), "spec.template.spec.project is missing: name the AppProject explicitly"))
        elif project.strip() == "default":
            problems.append(
                (
                    ref(document),
                    "spec.template.spec.project is 'default', which allows any repository, destination and kind: "
                    "use the team's or the platform's AppProject",
                )
            )
        # A templated project ('{{ .team }}') resolves per generated Application; Argo CD checks it exists.
    return problems


CHECK = NativeCheck(CHECK_ID, "ApplicationSetProjectNotDefault", NAME, judge)
