"""The Pod Security Standards' baseline controls (Kubernetes docs, "Pod Security Standards", Baseline table).

Every container kind counts (containers, initContainers, ephemeralContainers), and fields settable on both the
pod and the container are judged at both levels: a container's own value wins over the pod's.
"""

from __future__ import annotations

from groundwork.policy.pss.control import BASELINE, Breach, Control, control
from groundwork.policy.pss.pods import Pod
from groundwork.policy.workloads import mapping

# Capabilities baseline allows a container to add (the container runtime's default set).
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
APPARMOR_TYPES = ("RuntimeDefault", "Localhost")
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def _host_process(pod: Pod) -> list[Breach]:
    found = []
    if pod.setting("windowsOptions", "hostProcess") is True:
        found.append(
            Breach(
                pod.at("securityContext", "windowsOptions", "hostProcess"),
                "pod: securityContext.windowsOptions.hostProcess is true; remove it or set it to false",
            )
        )
    for c in pod.containers():
        if c.setting("windowsOptions", "hostProcess") is True:
            found.append(
                Breach(
                    c.at("securityContext", "windowsOptions", "hostProcess"),
                    f"{c.label}: securityContext.windowsOptions.hostProcess is true; remove it or set it to false",
                )
            )
    return found


def _host_namespaces(pod: Pod) -> list[Breach]:
    return [
        Breach(
            pod.at(field),
            f"pod: spec.{field} is true; remove it or set it to false (the pod must not share the node's namespaces)",
        )
        for field in HOST_NAMESPACES
        if pod.spec.get(field) is True
    ]


def _privileged(pod: Pod) -> list[Breach]:
    return [
        Breach(
            c.at("securityContext", "privileged"),
            f"{c.label}: securityContext.privileged is true; remove it or set it to false",
        )
        for c in pod.containers()
        if c.setting("privileged") is True
    ]


def _capabilities(pod: Pod) -> list[Breach]:
    found = []
    for c in pod.containers():
        added = c.setting("capabilities", "add")
        for index, capability in enumerate(added if isinstance(added, list) else []):
            if str(capability).removeprefix("CAP_") not in BASELINE_CAPABILITIES:
                found.append(
                    Breach(
                        c.at("securityContext", "capabilities", "add", index),
                        f"{c.label}: "
                        f"securityContext.capabilities.add has {capability}; remove it (baseline allows "
                        "only the runtime's default set, restricted only NET_BIND_SERVICE)",
                    )
                )
    return found


def _host_path(pod: Pod) -> list[Breach]:
    volumes = pod.spec.get("volumes")
    return [
        Breach(
            pod.at("volumes", index, "hostPath"),
            f"pod: volume '{mapping(v).get('name')}' is a hostPath "
            f"({mapping(mapping(v).get('hostPath')).get('path')}); use an emptyDir, a ConfigMap or a "
            "PersistentVolumeClaim instead",
        )
        for index, v in enumerate(volumes if isinstance(volumes, list) else [])
        if mapping(v).get("hostPath") is not None
    ]


def _host_ports(pod: Pod) -> list[Breach]:
    found = []
    for c in pod.containers():
        ports = c.body.get("ports")
        for index, port in enumerate(ports if isinstance(ports, list) else []):
            host_port = mapping(port).get("hostPort")
            if host_port not in (None, 0):
                found.append(
                    Breach(
                        c.at("ports", index, "hostPort"),
                        f"{c.label}: ports[{index}].hostPort is "
                        f"{host_port}; remove it (traffic reaches the pod through its Service)",
                    )
                )
    return found


def _apparmor(pod: Pod) -> list[Breach]:
    found = []
    kind = pod.setting("appArmorProfile", "type")
    if kind is not None and kind not in APPARMOR_TYPES:
        found.append(
            Breach(
                pod.at("securityContext", "appArmorProfile", "type"),
                f"pod: securityContext."
                f"appArmorProfile.type is {kind}; use RuntimeDefault or Localhost, or leave it unset",
            )
        )
    for c in pod.containers():
        kind = c.setting("appArmorProfile", "type")
        if kind is not None and kind not in APPARMOR_TYPES:
            found.append(
                Breach(
                    c.at("securityContext", "appArmorProfile", "type"),
                    f"{c.label}: securityContext."
                    f"appArmorProfile.type is {kind}; use RuntimeDefault or Localhost, or leave it unset",
                )
            )
    annotations = mapping(pod.metadata.get("annotations"))
    for key, value in annotations.items():
        if str(key).startswith(APPARMOR_ANNOTATION) and not (
            value == "runtime/default" or str(value).startswith("localhost/")
        ):
            found.append(
                Breach(
                    (*pod.template, "metadata", "annotations", key),
                    f"pod: annotation {key} is {value}; use runtime/default or localhost/<profile>, or remove it",
                )
            )
    return found


def _selinux_options(where: str, options: object, path: tuple[str | int, ...]) -> list[Breach]:
    found = []
    options = mapping(options)
    kind = options.get("type")
    if kind is not None and kind not in SELINUX_TYPES:
        found.append(
            Breach(
                (*path, "type"),
                f"{where}: securityContext.seLinuxOptions.type is {kind}; use "
                "container_t, container_init_t, container_kvm_t or container_engine_t, or leave it unset",
            )
        )
    for field in ("user", "role"):
        if options.get(field) not in (None, ""):
            found.append(
                Breach(
                    (*path, field),
                    f"{where}: securityContext.seLinuxOptions.{field} is "
                    f"{options[field]}; remove it (custom SELinux users and roles are not allowed)",
                )
            )
    return found


def _selinux(pod: Pod) -> list[Breach]:
    found = _selinux_options("pod", pod.setting("seLinuxOptions"), pod.at("securityContext", "seLinuxOptions"))
    for c in pod.containers():
        found += _selinux_options(c.label, c.setting("seLinuxOptions"), c.at("securityContext", "seLinuxOptions"))
    return found


def _proc_mount(pod: Pod) -> list[Breach]:
    return [
        Breach(
            c.at("securityContext", "procMount"),
            f"{c.label}: securityContext.procMount is "
            f"{c.setting('procMount')}; set it to Default or leave it unset (the node's /proc stays masked)",
        )
        for c in pod.containers()
        if c.setting("procMount") not in (None, "Default")
    ]


def _seccomp(pod: Pod) -> list[Breach]:
    found = []
    kind = pod.setting("seccompProfile", "type")
    if kind is not None and kind not in SECCOMP_TYPES:
        found.append(
            Breach(
                pod.at("securityContext", "seccompProfile", "type"),
                f"pod: securityContext.seccompProfile.type is {kind}; use RuntimeDefault or Localhost",
            )
        )
    for c in pod.containers():
        kind = c.setting("seccompProfile", "type")
        if kind is not None and kind not in SECCOMP_TYPES:
            found.append(
                Breach(
                    c.at("securityContext", "seccompProfile", "type"),
                    f"{c.label}: securityContext.seccompProfile.type is {kind}; use RuntimeDefault or Localhost",
                )
            )
    return found


def _sysctls(pod: Pod) -> list[Breach]:
    sysctls = pod.setting("sysctls")
    return [
        Breach(
            pod.at("securityContext", "sysctls", index, "name"),
            f"pod: securityContext.sysctls has "
            f"{mapping(s).get('name')}, which is not in the safe set; remove it (safe: "
            f"{', '.join(sorted(SAFE_SYSCTLS))})",
        )
        for index, s in enumerate(sysctls if isinstance(sysctls, list) else [])
        if mapping(s).get("name") not in SAFE_SYSCTLS
    ]


CONTROLS: tuple[Control, ...] = (
    control(BASELINE, "HOST_PROCESS", "HostProcess", _host_process),
    control(BASELINE, "HOST_NAMESPACES", "Host Namespaces", _host_namespaces),
    control(BASELINE, "PRIVILEGED_CONTAINERS", "Privileged Containers", _privileged),
    control(BASELINE, "CAPABILITIES", "Capabilities", _capabilities),
    control(BASELINE, "HOST_PATH_VOLUMES", "HostPath Volumes", _host_path),
    control(BASELINE, "HOST_PORTS", "Host Ports", _host_ports),
    control(BASELINE, "APPARMOR", "AppArmor", _apparmor),
    control(BASELINE, "SELINUX", "SELinux", _selinux),
    control(BASELINE, "PROC_MOUNT_TYPE", "/proc Mount Type", _proc_mount),
    control(BASELINE, "SECCOMP", "Seccomp", _seccomp),
    control(BASELINE, "SYSCTLS", "Sysctls", _sysctls),
)
