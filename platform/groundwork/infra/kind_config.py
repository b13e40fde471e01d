"""The kind cluster configuration, generated from the stack settings (pure: a dict and its YAML text).

The Istio ingress gateway Service runs as a NodePort on kind (cluster Secret annotation
`istio_gateway_service_type: NodePort`) with the node ports below; the control-plane container publishes
them on the host's loopback, so `http://localhost:<kindHttpPort>` reaches the gateway.
Upstream reference: https://kind.sigs.k8s.io/docs/user/configuration/ (extraPortMappings).
"""

import yaml

from groundwork.infra.settings import KindSettings

KIND_API_VERSION = "kind.x-k8s.io/v1alpha4"

# Node ports of the Istio ingress gateway Service on kind (annotated on the cluster Secret for the add-on).
GATEWAY_HTTP_NODE_PORT = 30080
GATEWAY_HTTPS_NODE_PORT = 30443


def kind_config(name: str, kind: KindSettings) -> dict[str, object]:
    """A kind `Cluster` config: one control-plane node publishing the gateway ports, plus `kind.workers` workers,
    every node on the pinned node image."""
    control_plane: dict[str, object] = {
        "role": "control-plane",
        "image": kind.node_image,
        "extraPortMappings": [
            _port(GATEWAY_HTTP_NODE_PORT, kind.http_port),
            _port(GATEWAY_HTTPS_NODE_PORT, kind.https_port),
        ],
    }
    workers = [{"role": "worker", "image": kind.node_image} for _ in range(kind.workers)]
    return {"kind": "Cluster", "apiVersion": KIND_API_VERSION, "name": name, "nodes": [control_plane, *workers]}


def render_kind_config(name: str, kind: KindSettings) -> str:
    """The kind config as YAML text (stable key order: a changed text means a changed cluster)."""
    return yaml.safe_dump(kind_config(name, kind), sort_keys=False)


def _port(node_port: int, host_port: int) -> dict[str, object]:
    # Loopback only: the gateway is for this machine, not the local network.
    return {"containerPort": node_port, "hostPort": host_port, "listenAddress": "127.0.0.1", "protocol": "TCP"}
