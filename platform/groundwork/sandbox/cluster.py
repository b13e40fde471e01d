"""The sandbox control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, as user
processes under `.groundwork/sandbox/`, with a kubeconfig written there.

Nodes and pods are simulated by kwok: the Nodes it manages are created here (annotated for kwok), the real
scheduler binds pods to them, and kwok moves each pod to Running and Ready, so Deployments become Available
with no container runtime, no image pull and no root. Everything listens on 127.0.0.1 only.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from groundwork.errors import ActionFailed
from groundwork.sandbox.kube import Kube
from groundwork.sandbox.pki import Pki
from groundwork.sandbox.processes import Supervisor, free_port
from groundwork.sandbox.toolchain import Toolchain

SERVICE_CIDR = "10.96.0.0/16"
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
NODES = 2
START_TIMEOUT_SECONDS = 120.0
CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


@dataclass(frozen=True)
class SandboxLayout:
    """Where one sandbox keeps its state: everything it writes is under `state`."""

    state: Path

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    @property
    def pki(self) -> Pki:
        return Pki(self.state / "pki")

    @property
    def etcd_data(self) -> Path:
        return self.state / "etcd"

    @property
    def ports_file(self) -> Path:
        return self.state / "ports.json"

    def ports(self) -> dict[str, int]:
        try:
            return {str(k): int(v) for k, v in json.loads(self.ports_file.read_text(encoding="utf-8")).items()}
        except (FileNotFoundError, ValueError):
            return {}

    def save_ports(self, ports: dict[str, int]) -> None:
        self.ports_file.write_text(json.dumps(ports, indent=1), encoding="utf-8")


def write_kubeconfig(layout: SandboxLayout, port: int) -> None:
    pki = layout.pki
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "sandbox",
                "cluster": {"server": f"https://127.0.0.1:{port}", "certificate-authority": str(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": "groundwork-admin",
                "user": {"client-certificate": str(pki.admin_cert), "client-key": str(pki.admin_key)},
            }
        ],
        "contexts": [{"name": "sandbox", "context": {"cluster": "sandbox", "user": "groundwork-admin"}}],
        "current-context": "sandbox",
    }
    layout.kubeconfig.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    layout.kubeconfig.chmod(0o600)


def start_control_plane(
    layout: SandboxLayout, tools: Toolchain, kubectl: Kube, echo: Callable[[str], None]
) -> dict[str, int]:
    """Start every control-plane process (idempotent: a running sandbox is left as it is); return the ports."""
    supervisor = Supervisor(layout.state)
    running = {entry.name for entry in supervisor.running()}
    if set(CONTROL_PLANE) <= running:
        echo("sandbox control plane already running")
        return layout.ports()
    if running:
        supervisor.stop()
    layout.state.mkdir(parents=True, exist_ok=True)
    pki = layout.pki
    pki.ensure()
    ports = {name: free_port() for name in ("etcd", "etcd_peer", "apiserver", "kwok")}
    layout.save_ports(ports)
    write_kubeconfig(layout, ports["apiserver"])
    etcd_url = f"http://127.0.0.1:{ports['etcd']}"
    supervisor.start(
        "etcd",
        [
            str(tools.binary("etcd")),
            "--name=sandbox",
            f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{ports['etcd_peer']}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{ports['etcd_peer']}",
            f"--initial-cluster=sandbox=http://127.0.0.1:{ports['etcd_peer']}",
            "--unsafe-no-fsync",
            "--quota-backend-bytes=2147483648",
            "--log-level=warn",
        ],
    )
    _wait_http(f"{etcd_url}/health", "etcd", supervisor)
    echo(f"etcd ready on {etcd_url}")
    supervisor.start(
        "kube-apiserver",
        [
            str(tools.binary("kubernetes", "kube-apiserver")),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={ports['apiserver']}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--endpoint-reconciler-type=none",
            "--authorization-mode=RBAC",
            f"--client-ca-file={pki.ca_cert}",
            f"--tls-cert-file={pki.server_cert}",
            f"--tls-private-key-file={pki.server_key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            f"--cert-dir={layout.state / 'apiserver-certs'}",
            "--v=0",
        ],
    )
    _wait_ready(kubectl, "kube-apiserver", supervisor)
    echo(f"kube-apiserver ready on https://127.0.0.1:{ports['apiserver']}")
    supervisor.start(
        "kube-controller-manager",
        [
            str(tools.binary("kubernetes", "kube-controller-manager")),
            f"--kubeconfig={layout.kubeconfig}",
            "--secure-port=0",
            "--leader-elect=false",
            "--use-service-account-credentials=false",
            f"--service-account-private-key-file={pki.sa_key}",
            f"--root-ca-file={pki.ca_cert}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--controllers=*,-nodeipam",
            "--v=0",
        ],
    )
    supervisor.start(
        "kube-scheduler",
        [
            str(tools.binary("kubernetes", "kube-scheduler")),
            f"--kubeconfig={layout.kubeconfig}",
            "--secure-port=0",
            "--leader-elect=false",
            "--v=0",
        ],
    )
    supervisor.start(
        "kwok",
        [
            str(tools.binary("kwok")),
            f"--kubeconfig={layout.kubeconfig}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
            "--cidr=10.244.0.0/16",
            "--node-ip=10.0.0.1",
            f"--server-address=127.0.0.1:{ports['kwok']}",
            f"--config={_kwok_stages(layout, tools)}",
            "--node-lease-duration-seconds=40",
        ],
    )
    _apply_nodes(kubectl)
    _wait_nodes_ready(kubectl, supervisor)
    echo(f"{NODES} kwok nodes Ready")
    return ports


# kwok's own stages, as kwokctl configures them: nodes become Ready and keep a lease; pods are created,
# become Ready, complete and are deleted like a kubelet would report them.
KWOK_STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/general/pod-create.yaml",
    "kustomize/stage/pod/general/pod-init-container-running.yaml",
    "kustomize/stage/pod/general/pod-init-container-completed.yaml",
    "kustomize/stage/pod/general/pod-ready.yaml",
    "kustomize/stage/pod/general/pod-complete.yaml",
    "kustomize/stage/pod/general/pod-delete.yaml",
)


def _kwok_stages(layout: SandboxLayout, tools: Toolchain) -> Path:
    """One kwok configuration file holding kwok's upstream stage files, from its module at the pinned version."""
    source = tools.source_dir("kwok")
    documents = [(source / stage).read_text(encoding="utf-8").strip() for stage in KWOK_STAGES]
    path = layout.state / "kwok-stages.yaml"
    path.write_text("\n---\n".join(documents) + "\n", encoding="utf-8")
    return path


def stop_control_plane(layout: SandboxLayout) -> list[str]:
    return Supervisor(layout.state).stop()


def kwok_nodes() -> list[dict[str, object]]:
    """The fake Nodes kwok manages: big enough for the fleet, labelled like a real worker."""
    nodes: list[dict[str, object]] = []
    for index in range(NODES):
        name = f"sandbox-node-{index}"
        nodes.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {KWOK_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "node-role.kubernetes.io/agent": "",
                        "type": "kwok",
                        "topology.kubernetes.io/zone": f"sandbox-{index}",
                    },
                },
                "status": {
                    "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                    "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                },
            }
        )
    return nodes


def _apply_nodes(kube: Kube) -> None:
    code, _, err = kube.apply(yaml.safe_dump_all(kwok_nodes()))
    if code != 0:
        raise ActionFailed(f"creating the kwok nodes failed: {err.strip()}", "read .groundwork/sandbox/logs/")


def _wait_http(url: str, name: str, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        _fail_if_exited(name, supervisor)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback health URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise ActionFailed(f"{name} did not answer {url} within {START_TIMEOUT_SECONDS:.0f} s", "read its log")


def _wait_ready(kubectl: Kube, name: str, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last = ""
    while time.monotonic() < deadline:
        _fail_if_exited(name, supervisor)
        code, out, err = kubectl(["get", "--raw", "/readyz"])
        if code == 0 and out.strip() == "ok":
            return
        last = ((err or out).strip().splitlines()[-1:] and (err or out).strip().splitlines()[-1]) or last
        time.sleep(0.3)
    raise ActionFailed(f"{name} is not ready after {START_TIMEOUT_SECONDS:.0f} s: {last}", "read its log")


def _wait_nodes_ready(kubectl: Kube, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        _fail_if_exited("kwok", supervisor)
        code, out, _ = kubectl(["get", "nodes", "-o", "json"])
        if code == 0:
            items = json.loads(out).get("items", [])
            ready = [
                node
                for node in items
                if any(
                    c.get("type") == "Ready" and c.get("status") == "True"
                    for c in node.get("status", {}).get("conditions", [])
                )
            ]
            if len(ready) >= NODES:
                return
        time.sleep(0.5)
    raise ActionFailed(f"kwok did not make the {NODES} nodes Ready in time", "read .groundwork/sandbox/logs/kwok.log")


def _fail_if_exited(name: str, supervisor: Supervisor) -> None:
    for entry in supervisor.started():
        if entry.name == name:
            why = supervisor.exited(entry)
            if why is not None:
                raise ActionFailed(f"{name} exited: {why}", f"read {supervisor.logs / (name + '.log')}")
