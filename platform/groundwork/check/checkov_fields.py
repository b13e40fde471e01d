"""The field a checkov finding is about, where checkov's result names none, for `positions` to place it.

checkov reports a resource and a check, never the container or the field. For the checks about one image
field, the offending container is found here the way the check judges it, so that the finding lands on the
line that set the image: the overlay's `images:` entry that pinned `:latest`, not the base's Deployment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from groundwork.check.model import FieldPath
from groundwork.policy.pss.pods import pods

DIGEST_MARK = "@sha256:"


def _untagged_or_latest(image: str) -> bool:
    if DIGEST_MARK in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.rsplit(":", 1)[1] == "latest"


def _no_digest(image: str) -> bool:
    return DIGEST_MARK not in image


# check id -> what makes a container's image fail it (CKV_K8S_14: tag fixed; CKV_GW_5: digest outside dev).
IMAGE_CHECKS: dict[str, Callable[[str], bool]] = {"CKV_K8S_14": _untagged_or_latest, "CKV_GW_5": _no_digest}


def field_for(check_id: str, body: Mapping[str, Any]) -> FieldPath:
    """The path of the first image that fails `check_id`, or () when the check is not about one field."""
    fails = IMAGE_CHECKS.get(check_id)
    if fails is None:
        return ()
    for pod in pods([body]):
        for container in pod.containers():
            image = container.body.get("image")
            if isinstance(image, str) and fails(image):
                return container.at("image")
    return ()
