"""End to end on kind: `groundwork up --env kind`, every Argo CD Application Healthy, one request through the
Istio ingress gateway walking the demo fleet, its trace in Tempo and its RED metrics in Prometheus, then
`groundwork down --env kind`.

Runs only where Docker (with a running daemon), kind and the Pulumi CLI exist and Argo CD can clone this
repository (an `origin` remote, or GROUNDWORK_E2E_REPO_URL) at a pushed revision; everywhere else it is
skipped with the reason. It needs network access for images and charts and takes 15-30 minutes.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from groundwork.provision.fleet import FleetService, discover_fleet
from groundwork.provision.kube import KubectlApplicationReader, find_kubectl, kubectl_for

REPO_ROOT = Path(__file__).resolve().parents[2]
KUBECONFIG = REPO_ROOT / ".groundwork" / "kubeconfig-kind"
UP_TIMEOUT_SECONDS = 2400
SIGNAL_TIMEOUT_SECONDS = 300


def _missing_prerequisites() -> list[str]:
    missing = [tool for tool in ("docker", "kind", "pulumi") if shutil.which(tool) is None]
    if "docker" not in missing and _exit_code(["docker", "info"]) != 0:
        missing.append("a running Docker daemon")
    origin = _exit_code(["git", "-C", str(REPO_ROOT), "remote", "get-url", "origin"])
    if origin != 0 and not os.environ.get("GROUNDWORK_E2E_REPO_URL"):
        missing.append("a repository URL Argo CD can clone (an 'origin' remote or GROUNDWORK_E2E_REPO_URL)")
    return missing


def _exit_code(command: list[str]) -> int:
    try:
        return subprocess.run(command, capture_output=True, check=False, timeout=20).returncode
    except (OSError, subprocess.TimeoutExpired):
        return 1


_MISSING = _missing_prerequisites()

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.timeout(UP_TIMEOUT_SECONDS + 1200),
    pytest.mark.skipif(bool(_MISSING), reason=f"needs {', '.join(_MISSING)}"),
]


def groundwork(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundwork", *args],
        cwd=REPO_ROOT,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def kind_environment() -> Iterator[list[FleetService]]:
    repo_url = os.environ.get("GROUNDWORK_E2E_REPO_URL")
    args = ["up", "--env", "kind", "--timeout", str(UP_TIMEOUT_SECONDS - 600)]
    if repo_url:
        args += ["--repo-url", repo_url]
    try:
        up = groundwork(*args, timeout=UP_TIMEOUT_SECONDS)
        assert up.returncode == 0, f"groundwork up failed:\n{up.stdout[-4000:]}\n{up.stderr[-2000:]}"
        yield discover_fleet(REPO_ROOT)
    finally:
        down = groundwork("down", "--env", "kind", timeout=1200)
        assert down.returncode == 0, f"groundwork down failed:\n{down.stdout[-2000:]}\n{down.stderr[-2000:]}"


def _eventually(check: Callable[[], Any], what: str, timeout: float = SIGNAL_TIMEOUT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except (AssertionError, OSError, urllib.error.URLError, ValueError, KeyError) as error:
            last = error
        else:
            if result:
                return result
        time.sleep(5)
    raise AssertionError(f"{what} not seen within {timeout:.0f} s (last: {last})")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def port_forward(namespace: str, service: str, remote: int) -> Iterator[str]:
    local = _free_port()
    command = [find_kubectl(), "--kubeconfig", str(KUBECONFIG), "-n", namespace, "port-forward", f"svc/{service}"]
    process = subprocess.Popen([*command, f"{local}:{remote}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _eventually(
            lambda: socket.create_connection(("127.0.0.1", local), timeout=1).close() or True, "port-forward", 30
        )
        yield f"http://127.0.0.1:{local}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get_json(url: str, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_every_application_is_synced_and_healthy(kind_environment: list[FleetService]) -> None:
    apps = KubectlApplicationReader(kubectl_for(KUBECONFIG)).applications()
    names = {app.name for app in apps}
    assert "root" in names
    assert {f"{service.name}-dev" for service in kind_environment} <= names
    assert [app.describe() for app in apps if not app.ready] == []


def test_one_request_through_the_gateway_makes_one_trace_and_metrics(kind_environment: list[FleetService]) -> None:
    edge = next((service for service in kind_environment if service.public_host), None)
    assert edge is not None, "the demo fleet exposes no service through the gateway (answer expose=true)"
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    headers = {"Host": edge.public_host or "", "traceparent": f"00-{trace_id}-{span_id}-01"}

    answer = _eventually(lambda: _get_json("http://127.0.0.1:8080/v1/chain", headers), "an answer from the gateway")
    assert answer["service"] == edge.name
    chain = _services_in(answer)
    assert len(chain) >= 2, f"the edge service called no downstream: {answer}"

    with port_forward("observability", "tempo", 3200) as tempo:

        def trace_services() -> set[str]:
            document = _get_json(f"{tempo}/api/traces/{trace_id}")
            batches = document.get("batches") or document.get("resourceSpans") or []
            return {
                attribute["value"]["stringValue"]
                for batch in batches
                for attribute in batch.get("resource", {}).get("attributes", [])
                if attribute["key"] == "service.name"
            }

        traced = _eventually(lambda: chain <= trace_services() and trace_services(), f"trace {trace_id} in Tempo")
        assert chain <= traced

    with port_forward("monitoring", "kube-prometheus-stack-prometheus", 9090) as prometheus:
        query = urllib.parse.quote('sum by (namespace) (http_requests_total{route="/v1/chain"})')

        def counted() -> set[str]:
            result = _get_json(f"{prometheus}/api/v1/query?query={query}")["data"]["result"]
            return {series["metric"].get("namespace", "") for series in result if float(series["value"][1]) > 0}

        assert chain <= _eventually(lambda: chain <= counted() and counted(), "http_requests_total in Prometheus")


def _services_in(answer: dict[str, Any]) -> set[str]:
    """Every service named in a nested /v1/chain answer."""
    found = {str(answer["service"])}
    for downstream in (answer.get("downstreams") or {}).values():
        if isinstance(downstream, dict) and "service" in downstream:
            found |= _services_in(downstream)
    return found
