"""CKV_GW_3: no ``kind: Secret`` in the GitOps tree; secret values never live in git.

Secret material reaches a cluster as a reference to the secret store (``ExternalSecret``) or encrypted for one
cluster (``SealedSecret``): those kinds pass, so the check also reports where secrets are handled correctly.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

SANCTIONED_KINDS = ("ExternalSecret", "SealedSecret")


class NoSecretManifests(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="No Kubernetes Secret manifests in the GitOps tree (kind: Secret)",
            id="CKV_GW_3",
            categories=(CheckCategories.SECRETS,),
            supported_entities=("Secret", *SANCTIONED_KINDS),
            guideline=(
                "Remove the Secret (also from kustomize secretGenerator): base64 is not encryption and git "
                "history keeps it forever. Declare an ExternalSecret (or a SealedSecret) that the cluster turns "
                "into the Secret at runtime."
            ),
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        # Whatever it holds (even nothing: it is where the next value gets pasted), a Secret fails.
        return CheckResult.PASSED if conf.get("kind") in SANCTIONED_KINDS else CheckResult.FAILED


check = NoSecretManifests()
