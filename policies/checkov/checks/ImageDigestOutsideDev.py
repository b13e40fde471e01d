"""CKV_GW_5: outside dev, every container image is pinned by digest (``name[:tag]@sha256:<64 hex>``)."""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check
from gw_k8s import ENVIRONMENT_LABEL, WORKLOAD_KINDS, containers, labels_of, pod_template

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# Environments where a moving tag is accepted. Anything else, a missing label included, needs digests.
TAG_ENVIRONMENTS = frozenset({"dev"})


class ImageDigestOutsideDev(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name=f"Images are pinned by digest (@sha256:...) unless the '{ENVIRONMENT_LABEL}' label is 'dev'",
            id="CKV_GW_5",
            categories=(CheckCategories.KUBERNETES,),
            supported_entities=WORKLOAD_KINDS,
            guideline=(
                "Pin the image by digest in this environment's overlay (kustomize images: digest: sha256:...); "
                "promotion copies the digest that passed in the previous environment."
            ),
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        environment = labels_of(conf.get("metadata")).get(ENVIRONMENT_LABEL)
        template = pod_template(conf)
        if template is None:
            return CheckResult.FAILED
        if environment is None:
            environment = labels_of(template[0]).get(ENVIRONMENT_LABEL)
        if environment in TAG_ENVIRONMENTS:
            return CheckResult.PASSED
        pod_containers = list(containers(template[1], ("initContainers", "containers", "ephemeralContainers")))
        if not pod_containers:
            return CheckResult.FAILED
        for container in pod_containers:
            image = container.get("image")
            if not isinstance(image, str) or not DIGEST.search(image.strip()):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = ImageDigestOutsideDev()
