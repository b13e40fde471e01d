""" "Is service X healthy?" answered from a running cluster, without SSH: each service's Argo CD Application
(sync and health) and its Deployment's status, read through the API server.

The cluster asked is the sandbox of this checkout when it runs (`groundwork up --env sandbox`); with no running
cluster there is no such check (the static checks of item 2 still run), so nothing is claimed unseen.
"""

from __future__ import annotations

import json
from pathlib import Path

from groundwork.readiness.context import Context
from groundwork.readiness.model import Check, Evidence, judged
from groundwork.sandbox.kube import Kube
from groundwork.sandbox.processes import Supervisor

CHECK = "healthy-in-cluster"
SANDBOX = "sandbox"


def cluster_health(context: Context) -> Check | None:
    state = context.state_dir / SANDBOX
    kubeconfig = state / "kubeconfig"
    running = {entry.name for entry in Supervisor(state).running()}
    if "kube-apiserver" not in running or not kubeconfig.is_file():
        return None
    kube = Kube(kubeconfig)
    environment = _environment(context.state_dir)
    problems: list[str] = []
    answers: list[str] = []
    for entry in context.entries:
        application = f"{entry.name}-{environment}"
        sync, health, errors = application_status(kube, application)
        ready, wanted = _deployment(kube, entry.name)
        answer = f"{entry.name}: Application {application} {sync}/{health}, Deployment {ready}/{wanted} available"
        answer += "".join(f", {error}" for error in errors)
        answers.append(answer)
        if (sync, health) != ("Synced", "Healthy") or errors or wanted == 0 or ready < wanted:
            problems.append(answer)
    return judged(
        CHECK,
        problems,
        "; ".join(answers),
        Evidence(files=(context.shown(kubeconfig),), counts={"services": len(context.entries)}),
    )


def _environment(state_dir: Path) -> str:
    try:
        record = json.loads((state_dir / f"provision-{SANDBOX}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "dev"
    return str(record.get("environment") or "dev") if isinstance(record, dict) else "dev"


def application_status(kube: Kube, name: str) -> tuple[str, str, list[str]]:
    """Sync and health status, and what Argo CD reports as wrong: an error condition (ComparisonError,
    SyncError, ...), a last sync that failed or one being retried, each with the first line of its message."""
    code, out, _ = kube(["-n", "argocd", "get", "applications.argoproj.io", name, "-o", "json"])
    if code != 0:
        return "Missing", "Missing", []
    status = json.loads(out).get("status", {})
    errors = [
        f"{c.get('type')}: {_first_line(c.get('message'))}"
        for c in status.get("conditions") or []
        if str(c.get("type", "")).endswith("Error")
    ]
    sync = str(status.get("sync", {}).get("status") or "Unknown")
    operation = status.get("operationState") or {}
    if sync == "Synced":
        pass  # a failed sync before git came back to what runs is history, not a problem now
    elif operation.get("phase") in ("Failed", "Error"):
        errors.append(f"last sync {operation['phase']}: {_first_line(operation.get('message'))}")
    elif operation.get("phase") == "Running" and operation.get("retryCount"):
        errors.append(f"sync failing, retried {operation['retryCount']} times: {_first_line(operation.get('message'))}")
    return sync, str(status.get("health", {}).get("status") or "Unknown"), errors


def _first_line(message: object) -> str:
    text = str(message or "").strip().splitlines()
    return text[0] if text else "(no message)"


def _deployment(kube: Kube, service: str) -> tuple[int, int]:
    code, out, _ = kube(["-n", service, "get", "deployment", service, "-o", "json"])
    if code != 0:
        return 0, 0
    document = json.loads(out)
    return int(document.get("status", {}).get("availableReplicas") or 0), int(
        document.get("spec", {}).get("replicas") or 0
    )
