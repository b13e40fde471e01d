"""The runtime path for real, without Docker: `groundwork up --env sandbox` on a clone of this checkout.

A real kube-apiserver (etcd, controller-manager, scheduler) with kwok's simulated nodes, the real Pulumi engine
applying infra/'s `sandbox` stack, and Argo CD's real controllers syncing the clone's gitops/ through file://.
The tests run in file order on one sandbox: every dev Application Synced and Healthy with its Deployment
Available; a planted bad manifest refused by the API server, its own message shown by Argo CD; a promotion
synced and its revert rolled back, both counted by `groundwork dora`; readiness answered from the cluster; then
`groundwork down`, which must leave no process and no file outside the state folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sandbox_support import (
    REPO_ROOT,
    app_status,
    application,
    clone_checkout,
    git,
    kube_json,
    require_sandbox_tools,
    wait_for,
)

from groundwork.provision.record import ProvisionRecord
from groundwork.sandbox.kube import Kube
from groundwork.sandbox.processes import Supervisor
from groundwork.sandbox.up import SandboxPaths, dev_applications, sandbox_down, sandbox_up

pytestmark = [pytest.mark.slow, pytest.mark.sandbox, pytest.mark.timeout(1800)]

UP_TIMEOUT_SECONDS = 900.0
SERVICE = "order"


@dataclass
class Sandbox:
    repository: Path
    record: ProvisionRecord
    kube: Kube
    lines: list[str]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    require_sandbox_tools()
    repository = clone_checkout(tmp_path_factory.mktemp("sandbox") / "groundwork")
    lines: list[str] = []
    try:
        record = sandbox_up(repository, lines.append, timeout_seconds=UP_TIMEOUT_SECONDS)
    except Exception:
        print("\n".join(lines[-60:]), file=sys.stderr)
        _dump_logs(repository)
        sandbox_down(repository, lines.append)
        raise
    yield Sandbox(repository, record, Kube(SandboxPaths(repository).layout.kubeconfig), lines)
    if Supervisor(SandboxPaths(repository).layout.state).running():
        sandbox_down(repository, lines.append)


def _dump_logs(repository: Path) -> None:
    logs = SandboxPaths(repository).layout.state / "logs"
    for log in sorted(logs.glob("*.log")) if logs.is_dir() else []:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        print(f"--- {log.name}\n" + "\n".join(tail), file=sys.stderr)


def test_every_dev_application_is_synced_and_healthy_with_its_deployment_available(sandbox: Sandbox) -> None:
    expected = dev_applications(sandbox.repository)
    assert len(expected) == 7, expected
    states = {app.name: (app.sync, app.health) for app in sandbox.record.applications}
    for name in ["root", *expected]:
        assert states.get(name) == ("Synced", "Healthy"), f"{name}: {states.get(name)}"
    for name in expected:
        service = name.removesuffix("-dev")
        deployment = kube_json(sandbox.kube, "-n", service, "get", "deployment", service)
        conditions = {c["type"]: c["status"] for c in deployment["status"].get("conditions", [])}
        assert conditions.get("Available") == "True", f"{service}: {deployment['status']}"
        assert deployment["status"].get("availableReplicas", 0) >= 1
        pods = kube_json(sandbox.kube, "-n", service, "get", "pods")["items"]
        assert pods, service
        assert all(p["status"]["phase"] == "Running" for p in pods), service
        assert all(p["spec"]["nodeName"].startswith("sandbox-node-") for p in pods)
    assert sandbox.record.ready
    assert sandbox.record.seconds["pulumi_up"] > 0
    # The add-ons that need a Helm chart are named, each with its reason, in the output and the record.
    assert "istio" in sandbox.record.skipped_addons
    assert any(line.startswith("add-on not run in the sandbox: istio: ") for line in sandbox.lines)
    saved = json.loads(SandboxPaths(sandbox.repository).record.read_text())
    assert saved["ready"] is True
    assert saved["skipped_addons"] == sandbox.record.skipped_addons


def test_the_cluster_runs_the_pinned_control_plane_and_the_real_argocd_crds(sandbox: Sandbox) -> None:
    pins = yaml.safe_load((REPO_ROOT / "gitops" / "versions.yaml").read_text())["tools"]
    code, out, _ = sandbox.kube(["version", "-o", "json"])
    assert code == 0
    assert json.loads(out)["serverVersion"]["gitVersion"] == pins["kubernetes"]["version"]
    crds = {item["metadata"]["name"] for item in kube_json(sandbox.kube, "get", "crd")["items"]}
    assert {
        "applications.argoproj.io",
        "virtualservices.networking.istio.io",
        "servicemonitors.monitoring.coreos.com",
    } <= crds


@pytest.mark.parametrize(
    ("planted", "message"),
    [("invalid-selector", "`selector` does not match template `labels`")],
)
def test_a_bad_manifest_fails_its_sync_with_the_api_servers_own_message(
    sandbox: Sandbox, planted: str, message: str
) -> None:
    app = "user"
    overlay = sandbox.repository / "gitops" / "apps" / app / "overlays" / "dev"
    kustomization = overlay / "kustomization.yaml"
    original = kustomization.read_text()
    patch = overlay / f"{planted}.yaml"
    if planted == "istio-unknown-field":
        patch.write_text(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: user\n"
            "spec:\n  retriesEverywhere: true\n"
        )
    else:
        patch.write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: user\n"
            "spec:\n  selector:\n    matchLabels:\n      planted: mismatch\n"
        )
    document = yaml.safe_load(original)
    document.setdefault("patches", []).append({"path": patch.name})
    kustomization.write_text(yaml.safe_dump(document, sort_keys=False))
    git(sandbox.repository, "add", "-A")
    git(sandbox.repository, "commit", "-q", "-m", f"plant {planted} in {app}")
    try:

        def failure() -> str:
            status = application(sandbox.kube, f"{app}-dev").get("status", {})
            texts = [status.get("operationState", {}).get("message", "")]
            texts += [
                r.get("message", "")
                for r in status.get("operationState", {}).get("syncResult", {}).get("resources", [])
            ]
            texts += [c.get("message", "") for c in status.get("conditions", [])]
            found = [text for text in texts if message in text]
            return found[0] if found else ""

        shown = wait_for(f"{app}-dev to fail its sync with '{message}'", failure, timeout=240)
        print(f"Argo CD shows: {shown}")
    finally:
        kustomization.write_text(original)
        patch.unlink()
        git(sandbox.repository, "add", "-A")
        git(sandbox.repository, "commit", "-q", "-m", f"remove {planted} from {app}")
    wait_for(
        f"{app}-dev Synced and Healthy again",
        lambda: app_status(sandbox.kube, f"{app}-dev") == ("Synced", "Healthy"),
        timeout=300,
    )


def _groundwork(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundwork", *args],
        cwd=repository,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def _deployment_image(kube: Kube, namespace: str, name: str) -> str:
    deployment = kube_json(kube, "-n", namespace, "get", "deployment", name)
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])


def test_down_stops_every_process_and_leaves_no_file_outside_the_state_folder(sandbox: Sandbox) -> None:
    paths = SandboxPaths(sandbox.repository)
    started = Supervisor(paths.layout.state).started()
    assert {entry.name for entry in started} >= {"etcd", "kube-apiserver", "kwok", "argocd-application-controller"}
    outside_before = _stray_files()
    sandbox_down(sandbox.repository, sandbox.lines.append)
    alive = [
        entry.name
        for entry in started
        if Path(f"/proc/{entry.pid}").exists() and _cmdline(entry.pid) == entry.command[0]
    ]
    assert alive == []
    state = str(paths.layout.state)
    leftovers = [pid for pid in _all_pids() if state in _cmdline_full(pid)]
    assert leftovers == []
    assert not paths.layout.state.exists()
    assert paths.record.is_file()  # the provisioning record is kept for readiness
    assert _stray_files() <= outside_before


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    except OSError:
        return ""


def _cmdline_full(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _stray_files() -> set[str]:
    """Files the engines would write outside the state folder if they were not pointed into it."""
    home = Path.home()
    candidates = [
        Path("/tmp/_argocd-repo"),
        home / ".pulumi" / "workspaces",
        home / ".kube" / "config",
        Path("/tmp/argocd-local"),
    ]
    return {str(path) for path in candidates if path.exists()}
