"""Argo CD's controllers as host processes, the way its developer guide runs them (its Procfile).

One binary, three components picked by `ARGOCD_BINARY_NAME`: the repo-server (renders the Git repository with
kustomize), the application-controller (diffs and syncs, reports health) and the applicationset-controller
(generates the Applications). `ARGOCD_FAKE_IN_CLUSTER=true` points the in-cluster destination
(`https://kubernetes.default.svc`) at the sandbox's kubeconfig. Redis is Debian's `redis-server`, with the
password the Pulumi stack stores in the `argocd-redis` Secret (the components read it from there). Every
temporary file (Git checkouts, TLS and SSH data) stays under the sandbox's state folder.
"""

import os
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from groundwork.errors import ActionFailed, ToolMissing
from groundwork.sandbox.cluster import SandboxLayout
from groundwork.sandbox.processes import Supervisor, free_port
from groundwork.sandbox.toolchain import Toolchain

ARGOCD_NAMESPACE = "argocd"
COMPONENTS = ("redis", "argocd-repo-server", "argocd-application-controller", "argocd-applicationset-controller")
# How often the controller re-reads Git: the sandbox is for quick answers ("would this PR sync?").
RESYNC_SECONDS = "15"


def redis_password_file(layout: SandboxLayout) -> Path:
    return layout.state / "redis-password"


def redis_password(layout: SandboxLayout) -> str:
    """The Redis password (made once per sandbox); the Pulumi stack writes it into `argocd-redis`."""
    path = redis_password_file(layout)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def argocd_kubeconfig(layout: SandboxLayout) -> Path:
    """The sandbox kubeconfig with `argocd` as the context's namespace (where the components look)."""
    document = yaml.safe_load(layout.kubeconfig.read_text(encoding="utf-8"))
    document["contexts"][0]["context"]["namespace"] = ARGOCD_NAMESPACE
    path = layout.state / "argocd.kubeconfig"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path


def start_argocd(layout: SandboxLayout, tools: Toolchain, echo: Callable[[str], None]) -> dict[str, int]:
    """Start Redis and the three Argo CD components (the stack must have created their configuration)."""
    redis = shutil.which("redis-server")
    if redis is None:
        raise ToolMissing("redis-server is not installed", "apt-get install redis-server (scripts/install-tools)")
    supervisor = Supervisor(layout.state)
    if {e.name for e in supervisor.running()} >= set(COMPONENTS):
        echo("Argo CD already running")
        return layout.ports()
    supervisor.stop([name for name in COMPONENTS])
    ports = layout.ports()
    for name in ("redis", "repo_server", "repo_metrics", "controller_metrics", "appset_metrics", "appset_probe"):
        ports[name] = free_port()
    layout.save_ports(ports)
    scratch = layout.state / "argocd"
    for folder in ("tmp", "tls", "ssh", "gpg", "redis", "home"):
        (scratch / folder).mkdir(parents=True, exist_ok=True)
    supervisor.start(
        "redis",
        [
            redis,
            "--port",
            str(ports["redis"]),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(scratch / "redis"),
            "--requirepass",
            redis_password(layout),
        ],
    )
    kubeconfig = argocd_kubeconfig(layout)
    path = os.pathsep.join([str(tools.bin_dir("kustomize")), os.environ.get("PATH", "")])
    env = {
        "ARGOCD_FAKE_IN_CLUSTER": "true",
        "KUBECONFIG": str(kubeconfig),
        "TMPDIR": str(scratch / "tmp"),
        "HOME": str(scratch / "home"),
        "ARGOCD_TLS_DATA_PATH": str(scratch / "tls"),
        "ARGOCD_SSH_DATA_PATH": str(scratch / "ssh"),
        "ARGOCD_GNUPGHOME": str(scratch / "gpg"),
        "ARGOCD_GPG_ENABLED": "false",
        "REDIS_PASSWORD": redis_password(layout),
        "PATH": path,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    binary = str(tools.binary("argocd"))
    redis_address = f"127.0.0.1:{ports['redis']}"
    repo_server = f"127.0.0.1:{ports['repo_server']}"
    supervisor.start(
        "argocd-repo-server",
        [
            binary,
            "--loglevel",
            "info",
            "--logformat",
            "json",
            "--address",
            "127.0.0.1",
            "--port",
            str(ports["repo_server"]),
            "--metrics-address",
            "127.0.0.1",
            "--metrics-port",
            str(ports["repo_metrics"]),
            "--redis",
            redis_address,
            # A new commit is seen at the controller's next resync, not after the default three minutes.
            "--revision-cache-expiration",
            f"{RESYNC_SECONDS}s",
        ],
        env={**env, "ARGOCD_BINARY_NAME": "argocd-repo-server"},
    )
    supervisor.start(
        "argocd-application-controller",
        [
            binary,
            "--loglevel",
            "info",
            "--logformat",
            "json",
            "--redis",
            redis_address,
            "--repo-server",
            repo_server,
            "--metrics-port",
            str(ports["controller_metrics"]),
            "--app-resync",
            RESYNC_SECONDS,
            "--self-heal-timeout-seconds",
            "2",
            "--status-processors",
            "10",
            "--operation-processors",
            "10",
        ],
        env={**env, "ARGOCD_BINARY_NAME": "argocd-application-controller"},
    )
    supervisor.start(
        "argocd-applicationset-controller",
        [
            binary,
            "--loglevel",
            "info",
            "--logformat",
            "json",
            "--argocd-repo-server",
            repo_server,
            "--metrics-addr",
            f"127.0.0.1:{ports['appset_metrics']}",
            "--probe-addr",
            f"127.0.0.1:{ports['appset_probe']}",
            "--webhook-addr",
            f"127.0.0.1:{free_port()}",
        ],
        env={**env, "ARGOCD_BINARY_NAME": "argocd-applicationset-controller"},
    )
    time.sleep(1.0)
    for entry in supervisor.started():
        why = supervisor.exited(entry)
        if entry.name in COMPONENTS and why is not None:
            raise ActionFailed(f"{entry.name} exited at start: {why}", f"read {supervisor.logs / entry.name}.log")
    echo(
        f"Argo CD {tools.pin('argocd').version} running: repo-server, application-controller, "
        "applicationset-controller (host processes), Redis"
    )
    return ports


def stop_argocd(layout: SandboxLayout) -> list[str]:
    return Supervisor(layout.state).stop(list(COMPONENTS))
