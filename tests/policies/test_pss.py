"""Pod Security Standards, control by control: each fixture's verdict across every control, and the matrix of
every control x {container, initContainer, ephemeralContainer} x {pod level, container level}."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from groundwork.policy.pss import CONTROLS, PLATFORM_CHECKS, checks_for
from groundwork.policy.violation import NativeCheck

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "policies" / "native" / "fixtures"
PSS = {c.check.title: c.check for c in CONTROLS}
EVERY_POD_CHECK: tuple[NativeCheck, ...] = (*PSS.values(), *PLATFORM_CHECKS)
# Passing fixtures of a baseline control that are baseline- but not restricted-compliant, and what they break.
NOT_RESTRICTED = {"PssBaselineCapabilities/pass_default_set.yaml": {"PSS_RESTRICTED_CAPABILITIES"}}
# Passing fixtures that are PSS-restricted-compliant but break a labelled platform rule on purpose.
PLATFORM_ONLY = {"PssRestrictedRunningAsNonRootUser/pass_unset.yaml": {"PLATFORM_RUN_AS_USER_10000"}}


def load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]


def failing(documents: list[dict[str, Any]], checks: tuple[NativeCheck, ...] = EVERY_POD_CHECK) -> set[str]:
    return {check.check_id for check in checks if check.judge(documents)}


POD_FIXTURES = sorted(p for p in FIXTURES_DIR.glob("*/*.yaml") if p.parent.name.startswith(("Pss", "Platform")))


def test_ids_name_the_control_and_levels_nest() -> None:
    ids = [c.check.check_id for c in CONTROLS]
    assert "PSS_BASELINE_HOST_PATH_VOLUMES" in ids
    assert "PSS_RESTRICTED_CAPABILITIES" in ids
    assert all(i.startswith(("PSS_BASELINE_", "PSS_RESTRICTED_")) for i in ids)
    assert len(ids) == 17  # 11 baseline rows + 6 restricted rows of the PSS tables
    assert set(checks_for("baseline")) < set(checks_for("restricted"))
    assert checks_for("privileged") == ()
    assert all(c.check_id.startswith("PLATFORM_") and "beyond PSS" in c.name for c in PLATFORM_CHECKS)


@pytest.mark.parametrize("fixture", POD_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_breaks_its_own_control_and_no_other(fixture: Path) -> None:
    """A bad fixture is a single defect: it fails the rule naming its control, and nothing else; a good one is
    restricted-compliant and passes every control (exceptions listed above, each with what it breaks)."""
    own = next(c.check_id for c in EVERY_POD_CHECK if c.title == fixture.parent.name)
    key = f"{fixture.parent.name}/{fixture.name}"
    failed = failing(load(fixture))
    if fixture.name.startswith("fail_"):  # a root UID also breaks the platform's UID >= 10000, as it should
        assert failed - {c.check_id for c in PLATFORM_CHECKS if c.check_id != own} == {own}
    else:
        assert failed == NOT_RESTRICTED.get(key, set()) | PLATFORM_ONLY.get(key, set())


def test_messages_name_the_container_and_the_fix() -> None:
    documents = load(FIXTURES_DIR / "PssRestrictedRunningAsNonRootUser" / "fail_init_uid_0.yaml")
    [(resource, message, path)] = PSS["PssRestrictedRunningAsNonRootUser"].judge(documents)
    assert resource == "CronJob orders/orders"
    assert message.startswith("initContainer 'migrate': securityContext.runAsUser is 0")
    assert "use a non-zero UID" in message
    assert path == (
        "spec",
        "jobTemplate",
        "spec",
        "template",
        "spec",
        "initContainers",
        0,
        "securityContext",
        "runAsUser",
    )


def test_localhost_seccomp_and_only_net_bind_service_pass_restricted() -> None:
    """The two things the old configuration rejected although PSS restricted allows them."""
    for name in ("PssRestrictedSeccomp/pass_localhost.yaml", "PssRestrictedCapabilities/pass_net_bind_service.yaml"):
        assert failing(load(FIXTURES_DIR / name), checks_for("restricted")) == set()


# --- the matrix ---

KINDS = ("containers", "initContainers", "ephemeralContainers")
LABELS = {"containers": "container", "initContainers": "initContainer", "ephemeralContainers": "ephemeralContainer"}
Spec = dict[str, Any]


def compliant(kind: str) -> dict[str, Any]:
    """A restricted-compliant Pod whose container under test is of `kind` (the app container stays beside it)."""
    secure = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    spec: Spec = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "ghcr.io/acme/app:1.0.0", "securityContext": copy.deepcopy(secure)}],
    }
    if kind != "containers":
        spec[kind] = [{"name": "probe", "image": "ghcr.io/acme/app:1.0.0", "securityContext": copy.deepcopy(secure)}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"}, "spec": spec}


def under_test(pod: dict[str, Any], kind: str) -> dict[str, Any]:
    return pod["spec"][kind][0]


def pod_sc(pod: dict[str, Any]) -> dict[str, Any]:
    return pod["spec"]["securityContext"]


# (control id, level) -> how to break it there. Pod-level defects on a field containers inherit are set on the pod
# while the container under test leaves the field unset, so the pod's value is the one that counts.
Breaker = Callable[[dict[str, Any], dict[str, Any]], None]
MATRIX: dict[tuple[str, str], Breaker] = {
    ("PSS_BASELINE_HOST_PROCESS", "pod"): lambda p, c: pod_sc(p).update(windowsOptions={"hostProcess": True}),
    ("PSS_BASELINE_HOST_PROCESS", "container"): lambda p, c: c["securityContext"].update(
        windowsOptions={"hostProcess": True}
    ),
    ("PSS_BASELINE_HOST_NAMESPACES", "pod"): lambda p, c: p["spec"].update(hostPID=True),
    ("PSS_BASELINE_PRIVILEGED_CONTAINERS", "container"): lambda p, c: c["securityContext"].update(privileged=True),
    ("PSS_BASELINE_CAPABILITIES", "container"): lambda p, c: c["securityContext"]["capabilities"].update(
        add=["SYS_ADMIN"]
    ),
    ("PSS_BASELINE_HOST_PATH_VOLUMES", "pod"): lambda p, c: p["spec"].update(
        volumes=[{"name": "h", "hostPath": {"path": "/var/run"}}]
    ),
    ("PSS_BASELINE_HOST_PORTS", "container"): lambda p, c: c.update(ports=[{"containerPort": 80, "hostPort": 80}]),
    ("PSS_BASELINE_APPARMOR", "pod"): lambda p, c: pod_sc(p).update(appArmorProfile={"type": "Unconfined"}),
    ("PSS_BASELINE_APPARMOR", "container"): lambda p, c: c["securityContext"].update(
        appArmorProfile={"type": "Unconfined"}
    ),
    ("PSS_BASELINE_SELINUX", "pod"): lambda p, c: pod_sc(p).update(seLinuxOptions={"type": "spc_t"}),
    ("PSS_BASELINE_SELINUX", "container"): lambda p, c: c["securityContext"].update(seLinuxOptions={"role": "r"}),
    ("PSS_BASELINE_PROC_MOUNT_TYPE", "container"): lambda p, c: c["securityContext"].update(procMount="Unmasked"),
    ("PSS_BASELINE_SECCOMP", "pod"): lambda p, c: pod_sc(p).update(seccompProfile={"type": "Unconfined"}),
    ("PSS_BASELINE_SECCOMP", "container"): lambda p, c: c["securityContext"].update(
        seccompProfile={"type": "Unconfined"}
    ),
    ("PSS_BASELINE_SYSCTLS", "pod"): lambda p, c: pod_sc(p).update(sysctls=[{"name": "vm.swappiness", "value": "1"}]),
    ("PSS_RESTRICTED_VOLUME_TYPES", "pod"): lambda p, c: p["spec"].update(
        volumes=[{"name": "v", "iscsi": {"targetPortal": "10.0.0.1:3260", "iqn": "iqn.x", "lun": 0}}]
    ),
    ("PSS_RESTRICTED_PRIVILEGE_ESCALATION", "container"): lambda p, c: c["securityContext"].pop(
        "allowPrivilegeEscalation"
    ),
    ("PSS_RESTRICTED_RUNNING_AS_NON_ROOT", "pod"): lambda p, c: pod_sc(p).pop("runAsNonRoot"),
    ("PSS_RESTRICTED_RUNNING_AS_NON_ROOT", "container"): lambda p, c: c["securityContext"].update(runAsNonRoot=False),
    ("PSS_RESTRICTED_RUNNING_AS_NON_ROOT_USER", "pod"): lambda p, c: pod_sc(p).update(runAsUser=0),
    ("PSS_RESTRICTED_RUNNING_AS_NON_ROOT_USER", "container"): lambda p, c: c["securityContext"].update(runAsUser=0),
    ("PSS_RESTRICTED_SECCOMP", "pod"): lambda p, c: pod_sc(p).pop("seccompProfile"),
    ("PSS_RESTRICTED_SECCOMP", "container"): lambda p, c: (
        pod_sc(p).pop("seccompProfile"),
        [
            each["securityContext"].update(seccompProfile={"type": "RuntimeDefault"})
            for kind in KINDS
            for each in p["spec"].get(kind, [])
            if each is not c
        ],
    ),
    ("PSS_RESTRICTED_CAPABILITIES", "container"): lambda p, c: c["securityContext"]["capabilities"].update(
        drop=["NET_RAW"]
    ),
}
# The cells PSS itself does not have: the field exists at one level only (the docs' "Restricted Fields").
NOT_A_FIELD = {
    ("PSS_BASELINE_HOST_NAMESPACES", "container"): "hostNetwork/hostPID/hostIPC are pod fields",
    ("PSS_BASELINE_PRIVILEGED_CONTAINERS", "pod"): "privileged is a container field",
    ("PSS_BASELINE_CAPABILITIES", "pod"): "capabilities are a container field",
    ("PSS_BASELINE_HOST_PATH_VOLUMES", "container"): "volumes are a pod field",
    ("PSS_BASELINE_HOST_PORTS", "pod"): "ports are a container field",
    ("PSS_BASELINE_PROC_MOUNT_TYPE", "pod"): "procMount is a container field",
    ("PSS_BASELINE_SYSCTLS", "container"): "sysctls are a pod field",
    ("PSS_RESTRICTED_VOLUME_TYPES", "container"): "volumes are a pod field",
    ("PSS_RESTRICTED_PRIVILEGE_ESCALATION", "pod"): "allowPrivilegeEscalation is a container field",
    ("PSS_RESTRICTED_CAPABILITIES", "pod"): "capabilities are a container field",
}
POD_ONLY = {"PSS_BASELINE_HOST_NAMESPACES", "PSS_BASELINE_HOST_PATH_VOLUMES", "PSS_BASELINE_SYSCTLS"}
POD_ONLY |= {"PSS_RESTRICTED_VOLUME_TYPES"}
CHECKS_BY_ID = {c.check.check_id: c.check for c in CONTROLS}


def test_the_matrix_covers_every_control_at_both_levels() -> None:
    cells = set(MATRIX) | set(NOT_A_FIELD)
    assert not set(MATRIX) & set(NOT_A_FIELD)
    assert cells == {(c.check.check_id, level) for c in CONTROLS for level in ("pod", "container")}


@pytest.mark.parametrize("kind", KINDS)
def test_the_compliant_pod_passes_every_control(kind: str) -> None:
    assert failing([compliant(kind)]) == set()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cell", sorted(MATRIX), ids=lambda cell: f"{cell[0]}@{cell[1]}")
def test_matrix(cell: tuple[str, str], kind: str) -> None:
    control_id, level = cell
    pod = compliant(kind)
    container = under_test(pod, kind)
    if level == "pod" and control_id not in POD_ONLY:
        # the container under test inherits the pod's value: it must not set its own
        for field in ("runAsNonRoot", "runAsUser", "seccompProfile", "appArmorProfile", "seLinuxOptions"):
            container["securityContext"].pop(field, None)
    MATRIX[cell](pod, container)
    problems = CHECKS_BY_ID[control_id].judge([pod])
    assert problems, f"{control_id} missed a {level}-level defect in a pod with a {LABELS[kind]}"
    messages = [message for _resource, message, *_ in problems]
    if level == "container":
        label = "container 'app'" if kind == "containers" else f"{LABELS[kind]} 'probe'"
        assert any(m.startswith(label + ":") for m in messages), messages
        assert all(path[2] == kind for _r, _m, path in problems if len(path) > 2 and path[1] == "spec")
    elif control_id in POD_ONLY or control_id.endswith(("_USER", "_APPARMOR", "_SELINUX", "_HOST_PROCESS")):
        assert any(m.startswith("pod:") for m in messages), messages
    else:  # a missing pod-level value is a breach of every container that does not set its own
        label = "container 'app'" if kind == "containers" else f"{LABELS[kind]} 'probe'"
        assert any(m.startswith(label + ":") or m.startswith("pod:") for m in messages), messages
    # the same defect, fixed, passes: the cell is about this field and nothing else
    assert CHECKS_BY_ID[control_id].judge([compliant(kind)]) == []
