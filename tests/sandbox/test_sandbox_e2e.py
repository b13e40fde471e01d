"""The runtime path for real, without Docker: `groundwork up --env sandbox` on a clone of this checkout.

A real kube-apiserver (etcd, controller-manager, scheduler) with kwok's simulated nodes, the real Pulumi engine
applying infra/'s `sandbox` stack, and Argo CD's real controllers syncing the clone's gitops/ through file://.
The tests run in file order on one sandbox: every dev Application Synced and Healthy with its Deployment
Available; a planted bad manifest refused by the API server, its own message shown by Argo CD; a promotion
synced and its revert rolled back, both counted by `groundwork dora`; readiness answered from the cluster; then
`groundwork down`, which must leave no process and no file outside the state folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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

from groundwork.promote import overlay
from groundwork.provision.record import ProvisionRecord
from groundwork.sandbox.kube import Kube
from groundwork.sandbox.processes import Supervisor
from groundwork.sandbox.up import SandboxPaths, dev_applications, sandbox_down, sandbox_up

# 30 min for each test's own body; the module's fixture (waiting for a background build of the engines on a new
# machine, bounded by BUILD_WAIT_SECONDS, then `up`, bounded by UP_TIMEOUT_SECONDS) is not counted in it.
pytestmark = [pytest.mark.slow, pytest.mark.sandbox, pytest.mark.timeout(1800, func_only=True)]

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
    [
        ("invalid-selector", "`selector` does not match template `labels`"),
        # Server-side apply (gitops/bootstrap/apps.yaml): the API server refuses what the CRD does not declare.
        ("istio-unknown-field", ".spec.retriesEverywhere: field not declared in schema"),
    ],
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

        # "Is user healthy?" from the cluster: readiness fails the check and gives Argo CD's reason.
        def unhealthy() -> str:
            health = _readiness_check(sandbox.repository, "healthy-in-cluster")
            return str(health["message"]) if health["status"] == "fail" and message in health["message"] else ""

        print("readiness says: " + wait_for(f"readiness to say {app} is not healthy", unhealthy, timeout=240))
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


def _readiness(repository: Path) -> dict[str, Any]:
    done = _groundwork(repository, "readiness", str(repository), "--format", "json")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _readiness_check(repository: Path, name: str) -> dict[str, Any]:
    checks = [check for item in _readiness(repository)["items"] for check in item["checks"] if check["name"] == name]
    assert len(checks) == 1, f"{name}: {checks}"
    check: dict[str, Any] = checks[0]
    return check


def test_readiness_answers_from_the_running_sandbox(sandbox: Sandbox) -> None:
    report = _readiness(sandbox.repository)
    items = {item["number"]: item for item in report["items"]}
    # Item 1: the real provisioning record of this sandbox, with its measured time.
    provisioning = {check["name"]: check for check in items[1]["checks"]}["last-up-under-30-minutes"]
    assert provisioning["status"] == "pass", provisioning["message"]
    minutes = sandbox.record.total_seconds / 60
    assert provisioning["message"] == f"the last groundwork up (--env sandbox) took {minutes:.1f} minutes"
    assert "provision-sandbox.json" in json.dumps(provisioning["evidence"])
    # Item 2: "is X healthy?" from the API server: each Application's sync and health, each Deployment's status.
    health = {check["name"]: check for check in items[2]["checks"]}["healthy-in-cluster"]
    assert health["status"] == "pass", health["message"]
    for name in dev_applications(sandbox.repository):
        service = name.removesuffix("-dev")
        replicas = kube_json(sandbox.kube, "-n", service, "get", "deployment", service)["spec"]["replicas"]
        answer = f"{service}: Application {name} Synced/Healthy, Deployment {replicas}/{replicas} available"
        assert answer in health["message"], health["message"]


def _deploy_to_dev(repository: Path, service: str, tag: str, digest: str) -> str:
    """What the service's CI does on a merge to main: a deploy pull request pinning dev to the new digest,
    with the trailers `groundwork dora` reads; merged here with a merge commit, as GitHub does."""
    path = repository / "gitops" / "apps" / service / "overlays" / "dev" / "kustomization.yaml"
    display = f"gitops/apps/{service}/overlays/dev/kustomization.yaml"
    document = overlay.load(path, display)
    name = f"ghcr.io/acme/{service}"
    before = overlay.read_release(document, name, display)
    image = overlay.Image(name=name, new_name=before.image.repository, new_tag=tag, digest=digest)
    overlay.write_release(document, name, overlay.Release(image, tag), display)
    path.write_text(overlay.dump(document), encoding="utf-8")
    branch = f"deploy/{service}/dev"
    git(repository, "switch", "-q", "-c", branch)
    built_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    git(
        repository,
        "commit",
        "-q",
        "-am",
        f"{service}: deploy {tag} to dev\n\nService: {service}\nEnvironment: dev\nSource-Commit: {tag}\n"
        f"Image-Digest: {digest}\nImage-Built-At: {built_at}",
    )
    return _merge(repository, branch)


def _merge(repository: Path, branch: str) -> str:
    git(repository, "switch", "-q", "main")
    git(repository, "merge", "-q", "--no-ff", "-m", f"Merge pull request from acme/{branch}", branch)
    git(repository, "branch", "-q", "-D", branch)
    return git(repository, "rev-parse", "HEAD")


def test_a_promotion_is_synced_and_its_revert_rolls_it_back_both_counted_by_dora(sandbox: Sandbox) -> None:
    repository = sandbox.repository
    # The sandbox becomes staging: the stack's environment changes. `up --dry-run` on the running sandbox: the
    # real engine previews one update (the cluster Secret's environment label) and changes nothing.
    config = repository / "infra" / "Pulumi.sandbox.yaml"
    config.write_text(config.read_text().replace("groundwork:environment: dev", "groundwork:environment: staging"))
    git(repository, "commit", "-q", "-am", "the sandbox runs staging")
    previewed: list[str] = []
    sandbox_up(repository, previewed.append, dry_run=True)
    assert any(line.startswith("pulumi preview of the running sandbox: 1 to update,") for line in previewed), previewed
    assert _cluster_environment(sandbox.kube) == "dev"
    # A new sandbox for staging (down, then up): relabelling a running cluster would leave dev's AppProjects,
    # which the projects Application never prunes (gitops/bootstrap/projects.yaml: prune false, on purpose).
    sandbox_down(repository, sandbox.lines.append)
    record = sandbox_up(repository, sandbox.lines.append, timeout_seconds=UP_TIMEOUT_SECONDS)
    assert _cluster_environment(sandbox.kube) == "staging"
    states = {app.name: (app.sync, app.health) for app in record.applications}
    assert states.get(f"{SERVICE}-staging") == ("Synced", "Healthy"), states
    before = _deployment_image(sandbox.kube, SERVICE, SERVICE)
    assert "@sha256:" in before  # staging runs by digest

    counted = _dora(repository)
    tag = "a" * 40
    digest = "sha256:" + hashlib.sha256(b"order built in the sandbox test").hexdigest()
    _deploy_to_dev(repository, SERVICE, tag, digest)
    done = _groundwork(repository, "promote", SERVICE, "--from", "dev", "--to", "staging", "--commit")
    assert done.returncode == 0, done.stderr
    merge = _merge(repository, git(repository, "branch", "--list", "promote/*", "--format=%(refname:short)"))
    promoted = f"ghcr.io/acme/{SERVICE}:{tag}@{digest}"
    wait_for(
        f"Argo CD to sync {promoted} into deployment/{SERVICE}",
        lambda: _deployment_image(sandbox.kube, SERVICE, SERVICE) == promoted,
        timeout=300,
    )
    wait_for(
        f"{SERVICE}-staging Synced and Healthy on the promoted image",
        lambda: app_status(sandbox.kube, f"{SERVICE}-staging") == ("Synced", "Healthy"),
        timeout=300,
    )

    git(repository, "revert", "--no-edit", "-m", "1", merge)
    wait_for(
        f"the revert to roll deployment/{SERVICE} back to {before}",
        lambda: _deployment_image(sandbox.kube, SERVICE, SERVICE) == before,
        timeout=300,
    )

    # dora counts the deploy to dev, the promotion to staging, its failure (the revert) and the restore.
    now = _dora(repository)
    staging, staging_before = now[(SERVICE, "staging")], counted.get((SERVICE, "staging"), {})
    moved = {key: staging[key] - staging_before.get(key, 0) for key in ("deployments", "failures", "restores")}
    assert moved == {"deployments": 1, "failures": 1, "restores": 1}, staging
    assert staging["lead_time_samples"] > staging_before.get("lead_time_samples", 0)  # Image-Built-At to merge
    assert now[(SERVICE, "dev")]["deployments"] == counted.get((SERVICE, "dev"), {}).get("deployments", 0) + 1


def _cluster_environment(kube: Kube) -> str:
    secrets = kube_json(kube, "-n", "argocd", "get", "secrets", "-l", "argocd.argoproj.io/secret-type=cluster")
    return str(secrets["items"][0]["metadata"]["labels"]["environment"])


def _dora(repository: Path) -> dict[tuple[str, str], dict[str, Any]]:
    done = _groundwork(repository, "dora", "--format", "json", "--since", "1d")
    assert done.returncode == 0, done.stderr
    return {(row["service"], row["environment"]): row for row in json.loads(done.stdout)["rows"]}


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
    # `pulumi destroy` ran: the stack's checkpoint in the local backend holds no resource any more.
    checkpoints = sorted((paths.backend / ".pulumi" / "stacks").rglob("sandbox.json"))
    assert checkpoints, list(paths.backend.rglob("*"))
    latest = json.loads(checkpoints[0].read_text())["checkpoint"].get("latest") or {}
    assert not latest.get("resources"), [r["urn"] for r in latest["resources"]]
    assert _stray_files() <= outside_before
    # With no cluster running, readiness claims nothing about it: item 2 has no in-cluster check.
    checks = {check["name"] for item in _readiness(sandbox.repository)["items"] for check in item["checks"]}
    assert "healthy-in-cluster" not in checks
    assert "last-up-under-30-minutes" in checks


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
