"""The Pod Security Standards' restricted controls (Kubernetes docs, "Pod Security Standards", Restricted table).

Restricted includes baseline; a defect baseline already names (a hostPath volume, an Unconfined seccomp
profile, SYS_ADMIN added) is reported once, by the baseline control. Pods with spec.os.name windows are
exempt from the Linux-only controls (privilege escalation, seccomp, capabilities), as PSS says.
"""

from __future__ import annotations

from groundwork.policy.pss.baseline import BASELINE_CAPABILITIES
from groundwork.policy.pss.control import RESTRICTED, Breach, Control, control
from groundwork.policy.pss.pods import Pod
from groundwork.policy.workloads import mapping

VOLUME_TYPES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


def _volume_types(pod: Pod) -> list[Breach]:
    found = []
    volumes = pod.spec.get("volumes")
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        volume = mapping(volume)
        for key in volume:
            if key not in VOLUME_TYPES and key not in ("name", "hostPath"):  # hostPath: baseline's control
                found.append(
                    Breach(
                        pod.at("volumes", index, key),
                        f"pod: volume '{volume.get('name')}' is of type "
                        f"{key}; use one of {', '.join(sorted(VOLUME_TYPES))} (a PersistentVolumeClaim "
                        "for storage)",
                    )
                )
    return found


def _privilege_escalation(pod: Pod) -> list[Breach]:
    if pod.windows:
        return []
    found = []
    for c in pod.containers():
        value = c.setting("allowPrivilegeEscalation")
        if value is not False:
            path = c.at("securityContext", "allowPrivilegeEscalation") if value is not None else c.path
            said = "is true" if value is not None else "is not set"
            found.append(Breach(path, f"{c.label}: securityContext.allowPrivilegeEscalation {said}; set it to false"))
    return found


def _run_as_non_root(pod: Pod) -> list[Breach]:
    found = []
    pod_value = pod.setting("runAsNonRoot")
    if pod_value is False:
        found.append(
            Breach(
                pod.at("securityContext", "runAsNonRoot"), "pod: securityContext.runAsNonRoot is false; set it to true"
            )
        )
    for c in pod.containers():
        value = c.setting("runAsNonRoot")
        if value is False:
            found.append(
                Breach(
                    c.at("securityContext", "runAsNonRoot"),
                    f"{c.label}: securityContext.runAsNonRoot is false; set it to true",
                )
            )
        elif value is None and pod_value is not True:
            found.append(
                Breach(
                    c.path,
                    f"{c.label}: securityContext.runAsNonRoot is not set, nor on the pod; set "
                    "runAsNonRoot: true on the pod's or the container's securityContext",
                )
            )
    return found


def _run_as_user(pod: Pod) -> list[Breach]:
    found = []
    if pod.setting("runAsUser") == 0:
        found.append(
            Breach(
                pod.at("securityContext", "runAsUser"),
                "pod: securityContext.runAsUser is 0 (root); use a non-zero UID or leave it unset",
            )
        )
    for c in pod.containers():
        if c.setting("runAsUser") == 0:
            found.append(
                Breach(
                    c.at("securityContext", "runAsUser"),
                    f"{c.label}: securityContext.runAsUser is 0 (root); use a non-zero UID or leave it unset",
                )
            )
    return found


def _seccomp(pod: Pod) -> list[Breach]:
    # A pod-level profile of another type (Unconfined) is baseline's breach: reported there, once.
    if pod.windows or pod.setting("seccompProfile", "type") is not None:
        return []
    return [
        Breach(
            c.path,
            f"{c.label}: no seccompProfile, on the container or the pod; set securityContext."
            "seccompProfile.type to RuntimeDefault or Localhost (on the pod, for every container)",
        )
        for c in pod.containers()
        if c.setting("seccompProfile", "type") is None
    ]


def _capabilities(pod: Pod) -> list[Breach]:
    if pod.windows:
        return []
    found = []
    for c in pod.containers():
        dropped = c.setting("capabilities", "drop")
        if not isinstance(dropped, list) or "ALL" not in dropped:
            path = c.at("securityContext", "capabilities", "drop") if isinstance(dropped, list) else c.path
            found.append(
                Breach(
                    path,
                    f"{c.label}: securityContext.capabilities.drop does not list ALL; drop ALL "
                    "(and add back at most NET_BIND_SERVICE)",
                )
            )
        added = c.setting("capabilities", "add")
        for index, capability in enumerate(added if isinstance(added, list) else []):
            name = str(capability).removeprefix("CAP_")
            if name in BASELINE_CAPABILITIES and name not in RESTRICTED_CAPABILITIES:
                found.append(
                    Breach(
                        c.at("securityContext", "capabilities", "add", index),
                        f"{c.label}: "
                        f"securityContext.capabilities.add has {capability}; restricted allows adding "
                        "only NET_BIND_SERVICE",
                    )
                )
    return found


CONTROLS: tuple[Control, ...] = (
    control(RESTRICTED, "VOLUME_TYPES", "Volume Types", _volume_types),
    control(RESTRICTED, "PRIVILEGE_ESCALATION", "Privilege Escalation", _privilege_escalation),
    control(RESTRICTED, "RUNNING_AS_NON_ROOT", "Running as Non-root", _run_as_non_root),
    control(RESTRICTED, "RUNNING_AS_NON_ROOT_USER", "Running as Non-root user", _run_as_user),
    control(RESTRICTED, "SECCOMP", "Seccomp", _seccomp),
    control(RESTRICTED, "CAPABILITIES", "Capabilities", _capabilities),
)
