"""CKV_GW_1: every workload, and the pods it creates, names its owning team in ``groundwork.dev/owner``."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check
from gw_k8s import DNS1123_LABEL, OWNER_LABEL, WORKLOAD_KINDS, labels_of, pod_template


class OwnerLabelRequired(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name=f"Workloads and their pod templates carry the owning team in the '{OWNER_LABEL}' label",
            id="CKV_GW_1",
            categories=(CheckCategories.KUBERNETES,),
            supported_entities=WORKLOAD_KINDS,
            guideline=(
                f"Set '{OWNER_LABEL}: <team slug>' on the workload and its pod template (the deploy template's "
                "kustomize labels do both); the same value on both. See policies/README.md."
            ),
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        owner = labels_of(conf.get("metadata")).get(OWNER_LABEL)
        self.evaluated_keys = [f"metadata/labels/{OWNER_LABEL}"]
        if not isinstance(owner, str) or not DNS1123_LABEL.match(owner):
            return CheckResult.FAILED
        if conf.get("kind") == "Pod":
            return CheckResult.PASSED
        template = pod_template(conf)
        if template is None:
            return CheckResult.FAILED
        pod_owner = labels_of(template[0]).get(OWNER_LABEL)
        return CheckResult.PASSED if pod_owner == owner else CheckResult.FAILED


check = OwnerLabelRequired()
