"""CKV_GW_2: every long-running container declares a startupProbe (the contract's ``GET /startupz``)."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check
from gw_k8s import SERVING_KINDS, containers, pod_template

PROBE_HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")


class StartupProbeRequired(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Every container of a long-running workload has a startupProbe",
            id="CKV_GW_2",
            categories=(CheckCategories.KUBERNETES,),
            supported_entities=SERVING_KINDS,
            guideline=(
                "Add a startupProbe (httpGet on /startupz, see docs/platform-contract.md) to each entry of "
                "spec.template.spec.containers. Init containers and Jobs are exempt."
            ),
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        template = pod_template(conf)
        if template is None:
            return CheckResult.FAILED
        app_containers = list(containers(template[1], ("containers",)))
        if not app_containers:
            return CheckResult.FAILED
        for container in app_containers:
            probe = container.get("startupProbe")
            if not isinstance(probe, dict) or not any(probe.get(handler) for handler in PROBE_HANDLERS):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = StartupProbeRequired()
