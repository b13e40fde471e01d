"""Acceptance 1 (Python stack): `groundwork conform` passes on a rendered Python service, and fails, naming
the clause, on copies that each break one clause of the platform contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.fleet import Fleet, ServiceProcess, clean_environment

from groundwork.conform.model import Status
from groundwork.conform.runner import ConformOptions, run_conformance

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_conform_passes_on_the_rendered_python_service_and_writes_the_json_report(fleet: Fleet, tmp_path: Path) -> None:
    report_path = tmp_path / "conform.json"
    command = [sys.executable, "-m", "groundwork", "conform", "--json", str(report_path), "--"]
    command += [str(fleet.alpha.python), "-m", fleet.alpha.package]
    result = subprocess.run(command, capture_output=True, text=True, env=clean_environment(), timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    report = json.loads(report_path.read_text())
    assert report["contract"] == "v1"
    assert report["ok"] is True
    statuses = {item["clause"]: item["status"] for item in report["results"]}
    # alpha declares beta, so every clause applies: all 29 pass, none is waved through as n/a.
    assert set(statuses.values()) == {"pass"}, statuses
    # Readiness item 6 cites the committed report (scripts/conformance-reports): it says what the suite finds.
    committed = json.loads((REPO_ROOT / "docs" / "conformance" / "python.json").read_text())
    assert {item["clause"]: item["status"] for item in committed["results"]} == statuses
    assert len(lines) == len(statuses) + 1
    assert lines[-1].startswith(f"platform contract v1: {len(statuses)} pass")
    assert any(line.startswith("pass    outbound.no-retry-post") and "1 attempts" in line for line in lines)


def test_conform_url_mode_judges_probes_and_metrics_and_says_what_it_cannot(fleet: Fleet, tmp_path: Path) -> None:
    service = ServiceProcess(fleet.beta, tmp_path).start()
    try:
        report = run_conformance(ConformOptions(url=service.url))
    finally:
        service.stop()
    statuses = {result.clause: result.status for result in report.results}
    assert report.ok
    assert statuses["probes.livez"] is Status.PASS
    assert statuses["metrics.buckets"] is Status.PASS
    assert statuses["metrics.route-template"] is Status.PASS
    assert statuses["shutdown.drain"] is Status.NOT_APPLICABLE
    assert "not --url" in next(r.evidence for r in report.results if r.clause == "outbound.timeout")


@dataclass(frozen=True)
class Mutant:
    """A copy of the service with one clause broken: (file in the package, text, replacement) edits."""

    name: str
    clause: str
    edits: tuple[tuple[str, str, str], ...]


MUTANTS = (
    Mutant("wrong metric name", "metrics.red", (("metrics.py", '"http_requests", "HTTP', '"http_request", "HTTP'),)),
    Mutant(
        "raw path as route",
        "metrics.route-template",
        (("middleware.py", '"path_format", None) or UNMATCHED_ROUTE', '"path_format", None) or scope["path"]'),),
    ),
    Mutant(
        "no trace id in logs",
        "logs.trace-ids",
        (("middleware.py", 'f"{span_context.trace_id:032x}",\n', "None,\n"),),
    ),
    Mutant(
        "/livez checking a dependency",
        "probes.readyz-dependency",
        (
            (
                "health.py",
                'async def livez() -> JSONResponse:\n        return JSONResponse({"status": "ok"})',
                "async def livez() -> JSONResponse:\n        ready, _ = await readiness.evaluate()\n"
                '        return JSONResponse({"status": "ok"}, status_code=200 if ready else 503)',
            ),
        ),
    ),
    Mutant("ignored SIGTERM", "shutdown.drain", (("server.py", "super().handle_exit(sig, frame)", "return"),)),
    Mutant(
        "retries on POST",
        "outbound.no-retry-post",
        (("downstream.py", 'frozenset({"GET", "HEAD",', 'frozenset({"POST", "GET", "HEAD",'),),
    ),
    Mutant("a bucket missing", "metrics.buckets", (("about.py", "    0.3,\n", ""),)),
    Mutant("raw method as label", "metrics.method-bounded", (("middleware.py", "method = OTHER_METHOD\n", "pass\n"),)),
    Mutant(
        "probes traced",
        "traces.span-name",
        (("middleware.py", 'self._tracer is not None and scope["path"] not in UNTRACED_PATHS', "self._tracer"),),
    ),
    Mutant(
        "no outbound propagation",
        "propagation.outbound",
        (
            (
                "downstream.py",
                "HTTPXClientInstrumentor.instrument_client(self._client, tracer_provider=tracer_provider)",
                "pass",
            ),
        ),
    ),
    Mutant(
        "no circuit breaker",
        "outbound.circuit-breaker",
        (("downstream.py", "fail_max=policy.breaker_fail_max,", "fail_max=10**6,"),),
    ),
    Mutant(
        "no outbound timeout",
        "outbound.timeout",
        (
            ("downstream.py", "timeout=httpx.Timeout(policy.timeout_seconds)", "timeout=httpx.Timeout(None)"),
            ("downstream.py", "asyncio.timeout(self._policy.timeout_seconds)", "asyncio.timeout(None)"),
        ),
    ),
    Mutant(
        "no pool limit",
        "outbound.pool-limit",
        (("downstream.py", "max_connections=policy.max_connections,\n", "max_connections=None,\n"),),
    ),
    Mutant(
        "a bad value accepted",
        "config.refuse-bad-value",
        (("settings.py", "http_retries: int = Field(2, ge=0, le=10)", "http_retries: int = Field(2)"),),
    ),
    Mutant("no request line event", "logs.request-line", (("logs.py", '"event": "request",', '"event": "access",'),)),
    Mutant("startupz body", "probes.startupz", (("health.py", '{"status": "started"}', '{"status": "up"}'),)),
    Mutant(
        "no service.namespace",
        "traces.resource",
        (("tracing.py", "SERVICE_NAMESPACE: identity.domain,\n", ""),),
    ),
)


# The service's own files; every other file a mutant edits is groundwork-runtime's (runtime/src).
SERVICE_FILES = frozenset({"about.py", "app.py", "api.py", "__main__.py"})
RUNTIME_SRC = Path(__file__).resolve().parents[2] / "runtime" / "src"


def _mutate(service_src: Path, package: str, dest: Path, mutant: Mutant) -> Path:
    """Copies of the service package and of groundwork-runtime with the mutant's edits, importable first through
    PYTHONPATH."""
    copies = {"service": dest / package, "runtime": dest / "groundwork_runtime"}
    shutil.copytree(service_src / package, copies["service"])
    shutil.copytree(RUNTIME_SRC / "groundwork_runtime", copies["runtime"])
    for file, old, new in mutant.edits:
        path = copies["service" if file in SERVICE_FILES else "runtime"] / file
        text = path.read_text()
        assert text.count(old) == 1, f"mutant {mutant.name!r}: {old!r} is not once in {file}; update the mutant"
        path.write_text(text.replace(old, new))
    return dest


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name.replace(" ", "-") for m in MUTANTS])
def test_conform_fails_a_mutant_naming_the_broken_clause(
    mutant: Mutant, fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha = fleet.alpha
    monkeypatch.setenv("PYTHONPATH", str(_mutate(alpha.path / "src", alpha.package, tmp_path, mutant)))
    group = mutant.clause.split(".")[0]
    options = ConformOptions(
        command=(str(alpha.python), "-m", alpha.package), downstreams=("beta",), only=(group, mutant.clause)
    )
    report = run_conformance(options)
    failed = {result.clause: result.evidence for result in report.failed}
    assert mutant.clause in failed, "\n".join(report.lines())
