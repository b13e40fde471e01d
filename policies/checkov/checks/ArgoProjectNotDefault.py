"""CKV_GW_4: Argo CD Applications name an AppProject other than ``default``.

ApplicationSets are judged by groundwork's native GW_NATIVE_3 instead: checkov's Kubernetes parser silently
drops any document with a ``name`` containing ``{``, ``}`` or ``#``, which is every templated ApplicationSet.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class ArgoProjectNotDefault(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Argo CD Applications use an AppProject other than 'default'",
            id="CKV_GW_4",
            categories=(CheckCategories.KUBERNETES,),
            supported_entities=("Application",),
            guideline=(
                "Set spec.project to the team's or the platform's AppProject; 'default' allows any source "
                "repository, destination and resource kind."
            ),
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        api_version = conf.get("apiVersion")
        if not isinstance(api_version, str) or not api_version.startswith("argoproj.io/"):
            return CheckResult.UNKNOWN  # another CRD that happens to be called Application
        self.evaluated_keys = ["spec/project"]
        project = _mapping(conf.get("spec")).get("project")
        if not isinstance(project, str) or not project.strip() or project.strip() == "default":
            return CheckResult.FAILED
        return CheckResult.PASSED


check = ArgoProjectNotDefault()
