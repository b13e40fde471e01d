"""CKV_GW_6: every Namespace enforces a Pod Security Standard (baseline or restricted) through its labels."""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check
from gw_k8s import labels_of

PREFIX = "pod-security.kubernetes.io/"
MODES = ("enforce", "audit", "warn")
LEVELS = frozenset({"privileged", "baseline", "restricted"})
ENFORCED_LEVELS = frozenset({"baseline", "restricted"})
VERSION = re.compile(r"^(latest|v1\.[0-9]+)$")


class NamespacePodSecurityLabels(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name=(
                f"Namespaces enforce a Pod Security Standard: '{PREFIX}enforce' is baseline or restricted "
                "and every pod-security label is valid"
            ),
            id="CKV_GW_6",
            categories=(CheckCategories.KUBERNETES,),
            supported_entities=("Namespace",),
            guideline=(
                f"Label the Namespace '{PREFIX}enforce: restricted' (or baseline), optionally with warn/audit "
                "levels and '<mode>-version: latest|v1.N'. A namespace that truly needs 'privileged' documents "
                "why in a checkov.io/skip annotation."
            ),
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        labels = labels_of(conf.get("metadata"))
        self.evaluated_keys = [f"metadata/labels/{PREFIX}enforce"]
        if labels.get(f"{PREFIX}enforce") not in ENFORCED_LEVELS:
            return CheckResult.FAILED
        for key, value in labels.items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX) :]
            if name in MODES:
                if value not in LEVELS:
                    return CheckResult.FAILED
            elif name.endswith("-version") and name[: -len("-version")] in MODES:
                if not isinstance(value, str) or not VERSION.match(value):
                    return CheckResult.FAILED
            else:
                return CheckResult.FAILED  # a misspelt mode such as 'enforced' is silently ignored by the API server
        return CheckResult.PASSED


check = NamespacePodSecurityLabels()
