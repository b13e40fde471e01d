"""`groundwork up --env sandbox` and `groundwork down --env sandbox`: the runtime path on any machine.

Steps of `up`, each timed into the provisioning record (`.groundwork/provision-sandbox.json`):
1. `tools`: build whatever pinned tool is missing (once per machine, cached outside the clone);
2. `control_plane`: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and its nodes;
3. `pulumi_up`: the real Pulumi engine applies infra/'s `sandbox` stack (CRDs, Argo CD's configuration, the
   AppProject, the cluster Secret, the root Application);
4. `argocd`: Redis and Argo CD's three controllers as host processes, reading this checkout through `file://`;
5. `argocd_wait`: until every Application (root, the add-ons that can run here, every app's dev Application)
   is Synced and Healthy.
Add-ons whose Helm chart cannot be fetched here are listed by name, with the reason, in the output and the
record: none is skipped silently.
"""

import json
import re
import secrets
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from groundwork.errors import ActionFailed, GroundworkError
from groundwork.gitops.versions import load_pins, versions_file
from groundwork.infra.addons import known_addons
from groundwork.infra.sandbox import STACK_INPUTS
from groundwork.infra.settings import BOOTSTRAP_PATH
from groundwork.infra.stack_config import load_stack_values
from groundwork.paths import APPS_DIR, GITOPS_DIR, INFRA_DIR, OVERLAYS_DIR, STATE_DIR
from groundwork.provision.argocd_wait import wait_for_applications
from groundwork.provision.kube import KubectlApplicationReader
from groundwork.provision.record import ProvisionRecord, record_path, write_record
from groundwork.sandbox.argocd import redis_password_file, start_argocd, stop_argocd
from groundwork.sandbox.build import build_tools
from groundwork.sandbox.cluster import SandboxLayout, start_control_plane, stop_control_plane
from groundwork.sandbox.crds import crd_files
from groundwork.sandbox.kube import Kube
from groundwork.sandbox.processes import Supervisor
from groundwork.sandbox.stack import SandboxStack
from groundwork.sandbox.toolchain import Toolchain

ENV = "sandbox"
ROOT_APPLICATION = "root"
ADDONS_KEY = "addons"  # the stack configuration key listing the enabled add-ons


@dataclass(frozen=True)
class SandboxPaths:
    """Where a checkout keeps its sandbox: the state folder, the Pulumi backend, the record."""

    repository: Path

    @property
    def groundwork(self) -> Path:
        return self.repository / STATE_DIR

    @property
    def layout(self) -> SandboxLayout:
        return SandboxLayout(self.groundwork / ENV)

    @property
    def backend(self) -> Path:
        return self.groundwork / "pulumi"

    @property
    def pulumi_home(self) -> Path:
        return self.layout.state / "pulumi-home"

    @property
    def record(self) -> Path:
        return record_path(self.groundwork, ENV)


def dev_applications(repository: Path, environment: str = "dev") -> list[str]:
    """`<app>-<environment>` for every app folder with that overlay: what the `apps` ApplicationSet makes."""
    apps = repository / GITOPS_DIR / APPS_DIR
    return sorted(f"{d.name}-{environment}" for d in apps.iterdir() if (d / OVERLAYS_DIR / environment).is_dir())


def skipped_addons(repository: Path, enabled: Sequence[str]) -> dict[str, str]:
    """Every add-on the sandbox does not run, with the reason: what its ApplicationSets need from outside."""
    pins = load_pins(versions_file(repository))
    needs: dict[str, set[str]] = {}
    for path in sorted((repository / BOOTSTRAP_PATH).rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for addon in set(_ENABLE_LABEL.findall(text)):
            found = needs.setdefault(addon, set())
            found.update(
                f"chart {pins[key].chart} {pins[key].version} from {pins[key].repository}"
                for key in _CHART_KEY.findall(text)
                if key in pins
            )
            if "pullRequest:" in text:
                found.add("the GitHub pull-request API (its pullRequest generator)")
    reasons: dict[str, str] = {}
    for addon in sorted(known_addons(repository / BOOTSTRAP_PATH)):
        if addon in enabled:
            continue
        where = "; ".join(sorted(needs.get(addon, set()))) or "a source outside this machine"
        if addon == "argocd":
            reasons[addon] = f"runs as host processes instead ({where}: not reachable from this machine)"
        else:
            reasons[addon] = f"needs {where}: not reachable from this machine"
    return reasons


_ENABLE_LABEL = re.compile(r"\benable_([a-z][a-z0-9_]*)\b")
_CHART_KEY = re.compile(r"\.charts\.([a-z][a-z0-9_]*)\.")


def preview_summary(changes: Mapping[str, int]) -> str:
    """Pulumi's change summary in words: '1 to update, 21 unchanged' (operations in Pulumi's names)."""
    counted = [(op, n) for op, n in changes.items() if n]
    words = [f"{n} unchanged" if op == "same" else f"{n} to {op}" for op, n in sorted(counted, key=_changes_first)]
    return ", ".join(words) or "no resources"


def _changes_first(item: tuple[str, int]) -> tuple[bool, str]:
    return item[0] == "same", item[0]


def sandbox_up(
    repository: Path,
    echo: Callable[[str], None],
    timeout_seconds: float = 900.0,
    dry_run: bool = False,
) -> ProvisionRecord:
    paths = SandboxPaths(repository)
    values = load_stack_values(repository / INFRA_DIR, ENV)
    tools = Toolchain.for_repository(repository)
    expected = [ROOT_APPLICATION, *dev_applications(repository, str(values.get("environment") or "dev"))]
    listed = values.get(ADDONS_KEY)
    enabled = [str(a) for a in listed] if isinstance(listed, list) else []
    skipped = skipped_addons(repository, enabled)
    if dry_run:
        echo(f"would start the sandbox under {paths.layout.state} and build: {', '.join(tools.missing()) or 'nothing'}")
        echo(f"would apply infra/ stack '{ENV}' and wait for {len(expected)} Applications: {', '.join(expected)}")
        for addon, reason in skipped.items():
            echo(f"would not run add-on {addon}: {reason}")
        if {"kube-apiserver", "etcd"} <= {entry.name for entry in Supervisor(paths.layout.state).running()}:
            # A running sandbox: the real engine previews what `up` would change in it (it changes nothing).
            stack = SandboxStack(paths.repository / INFRA_DIR, paths.backend, paths.pulumi_home, tools)
            changes = stack.preview(lambda line: None)
            echo(f"pulumi preview of the running sandbox: {preview_summary(changes)}")
        return ProvisionRecord(ENV, "sandbox", "dev", datetime.now(UTC), timeout_seconds)
    record = ProvisionRecord(
        env=ENV,
        cluster_name=str(values.get("clusterName") or "groundwork"),
        environment=str(values.get("environment") or "dev"),
        started_at=datetime.now(UTC),
        timeout_seconds=timeout_seconds,
    )
    record.skipped_addons = skipped
    try:
        _up(paths, tools, record, expected, echo, timeout_seconds)
    except GroundworkError as error:
        record.error = str(error)
        raise
    finally:
        record.finished_at = datetime.now(UTC)
        write_record(record, paths.record)
        echo(f"provisioning record: {paths.record} ({record.total_seconds:.0f} s)")
    return record


def _up(
    paths: SandboxPaths,
    tools: Toolchain,
    record: ProvisionRecord,
    expected: list[str],
    echo: Callable[[str], None],
    timeout_seconds: float,
) -> None:
    layout = paths.layout
    with _step(record, "tools"):
        build_tools(tools, echo)
    kube = Kube(layout.kubeconfig)
    with _step(record, "control_plane"):
        start_control_plane(layout, tools, kube, echo)
    with _step(record, "pulumi_up"):
        _write_stack_inputs(layout, tools)
        stack = SandboxStack(paths.repository / INFRA_DIR, paths.backend, paths.pulumi_home, tools)
        stack.up(lambda line: echo(line.rstrip("\n")))
    with _step(record, "argocd"):
        start_argocd(layout, tools, echo)
    for addon, reason in record.skipped_addons.items():
        echo(f"add-on not run in the sandbox: {addon}: {reason}")
    with _step(record, "argocd_wait"):
        result = wait_for_applications(
            KubectlApplicationReader(kube),
            timeout_seconds=timeout_seconds,
            poll_seconds=3.0,
            expected=set(expected),
            clock=time.monotonic,
            sleep=time.sleep,
            progress=echo,
        )
    record.applications = list(result.applications)
    if not result.ready:
        record.failed_step = "argocd_wait"
        raise ActionFailed(
            f"Argo CD is not ready after {result.waited_seconds:.0f} s: {result.reason}",
            f"look with 'kubectl --kubeconfig {layout.kubeconfig} -n argocd get applications' and "
            f"{layout.state / 'logs'}",
        )
    record.ready = True
    echo(f"sandbox is up: {len(result.applications)} Applications Synced and Healthy")
    echo(f"kubeconfig: {layout.kubeconfig}")


def sandbox_down(repository: Path, echo: Callable[[str], None]) -> None:
    """Stop Argo CD, destroy the stack, stop the control plane, remove the sandbox's state (the record stays)."""
    paths = SandboxPaths(repository)
    layout = paths.layout
    tools = Toolchain.for_repository(repository)
    stopped = stop_argocd(layout)
    if stopped:
        echo(f"stopped {', '.join(stopped)}")
    supervisor = Supervisor(layout.state)
    try:
        if any(e.name == "kube-apiserver" for e in supervisor.running()) and tools.built("pulumi"):
            # Argo CD is stopped, so nothing would ever clear its finalizers: without this, deleting its CRDs
            # would wait forever for the Applications to go.
            _clear_argocd_finalizers(Kube(layout.kubeconfig))
            stack = SandboxStack(paths.repository / INFRA_DIR, paths.backend, paths.pulumi_home, tools)
            stack.destroy(lambda line: echo(line.rstrip("\n")))
    finally:
        # Whatever pulumi said, nothing of the sandbox keeps running, and its state folder goes.
        stopped = stop_control_plane(layout)
        if stopped:
            echo(f"stopped {', '.join(stopped)}")
        if layout.state.is_dir():
            shutil.rmtree(layout.state)
    echo(f"sandbox is down (the provisioning record {paths.record} is kept)")


def _clear_argocd_finalizers(kube: Kube) -> None:
    for kind in ("applications.argoproj.io", "applicationsets.argoproj.io", "appprojects.argoproj.io"):
        code, out, _ = kube(["-n", "argocd", "get", kind, "-o", "name"])
        for name in out.split() if code == 0 else []:
            kube(["-n", "argocd", "patch", name, "--type=merge", "-p", '{"metadata":{"finalizers":null}}'])


def _write_stack_inputs(layout: SandboxLayout, tools: Toolchain) -> None:
    secret_key = layout.state / "server-secret-key"
    if not secret_key.is_file():
        secret_key.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        secret_key.chmod(0o600)
    redis_password_file(layout)
    from groundwork.sandbox.argocd import redis_password

    redis_password(layout)
    inputs = {
        "kubeconfig": str(layout.kubeconfig),
        "redis_password_file": str(redis_password_file(layout)),
        "server_secret_key_file": str(secret_key),
        "crd_files": [str(path) for path in crd_files(tools)],
    }
    (layout.state / STACK_INPUTS).write_text(json.dumps(inputs, indent=1), encoding="utf-8")


class _step:
    def __init__(self, record: ProvisionRecord, name: str) -> None:
        self.record = record
        self.name = name

    def __enter__(self) -> None:
        self.start = time.monotonic()

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.record.seconds[self.name] = time.monotonic() - self.start
        if kind is not None:
            self.record.failed_step = self.name


def read_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
