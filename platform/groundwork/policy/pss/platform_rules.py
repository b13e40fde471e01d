"""Platform rules that go beyond Pod Security Standards (labelled PLATFORM_*, not PSS_*).

PLATFORM_RUN_AS_USER_10000: every container (init and ephemeral ones included) runs with a UID of at least
10000, set on the container or the pod. PSS restricted asks only for a non-zero UID; groundwork asks for one
that cannot clash with a user of the node (the service image's UID is 10001). docs/platform-contract.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from groundwork.policy.pss.control import Breach
from groundwork.policy.pss.pods import Pod, pods
from groundwork.policy.violation import Document, NativeCheck, Problem

MINIMUM_UID = 10000


def _run_as_user(pod: Pod) -> list[Breach]:
    if pod.windows:
        return []
    found = []
    pod_uid = pod.setting("runAsUser")
    for c in pod.containers():
        uid = c.setting("runAsUser")
        path = c.at("securityContext", "runAsUser")
        if uid is None:
            uid, path = pod_uid, pod.at("securityContext", "runAsUser")
        if uid is None:
            found.append(
                Breach(
                    c.path,
                    f"{c.label}: runAsUser is not set, on the container or the pod; set "
                    f"securityContext.runAsUser to a UID >= {MINIMUM_UID} (platform rule)",
                )
            )
        elif not isinstance(uid, int) or isinstance(uid, bool) or uid < MINIMUM_UID:
            found.append(
                Breach(
                    path,
                    f"{c.label}: runAsUser is {uid}; use a UID >= {MINIMUM_UID} (platform rule: "
                    "no clash with the node's users)",
                )
            )
    return found


def _judge(documents: Sequence[Document]) -> list[Problem]:
    return [(pod.ref, b.message, b.path) for pod in pods(documents) for b in _run_as_user(pod)]


RUN_AS_USER = NativeCheck(
    "PLATFORM_RUN_AS_USER_10000",
    "PlatformRunAsUser10000",
    "Platform rule (beyond PSS): every container runs as a UID >= 10000",
    _judge,
)
