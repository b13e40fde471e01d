"""Runs the suite: starts the peers and the service, runs each clause group's step in order, and returns the
report. `run_conformance` is the library entry point the command and the tests call."""

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from groundwork.conform import client as http
from groundwork.conform.checks import config, logs, metrics, outbound, probes, shutdown, traces, traffic
from groundwork.conform.contract import CLAUSES
from groundwork.conform.downstream import TestDownstream
from groundwork.conform.model import Recorder, Report, build_report
from groundwork.conform.otlp import OtlpReceiver
from groundwork.conform.session import Session, service_env
from groundwork.conform.target import StartFailed

URL_ONLY = "needs the service started by conform ('-- <command>'), not --url"
TELEMETRY = (*metrics.CLAUSES, "logs.request-line", "logs.trace-ids", *traces.CLAUSES)


@dataclass(frozen=True)
class ConformOptions:
    command: tuple[str, ...] = ()
    url: str | None = None
    downstreams: tuple[str, ...] | None = None  # None: ask the service (/readyz names its checks)
    only: tuple[str, ...] = ()  # clause ids or group prefixes ('outbound'); empty: every clause
    start_timeout: float = 60.0
    cwd: Path | None = None


class ConformError(Exception):
    """The options cannot run the suite (no command and no URL, an unknown clause)."""


def select(only: Sequence[str]) -> tuple[str, ...]:
    if not only:
        return tuple(CLAUSES)
    chosen = tuple(c for c in CLAUSES if any(c == o or c.startswith(f"{o.rstrip('.')}.") for o in only))
    unknown = [o for o in only if not any(c == o or c.startswith(f"{o.rstrip('.')}.") for c in CLAUSES)]
    if unknown:
        groups = sorted({c.split(".")[0] for c in CLAUSES})
        raise ConformError(f"--clause {', '.join(unknown)} names no clause (groups: {', '.join(groups)})")
    return chosen


def run_conformance(options: ConformOptions) -> Report:
    selected = select(options.only)
    if options.url:
        return _run_url(options.url.rstrip("/"), selected)
    if not options.command:
        raise ConformError("nothing to test: give '-- <command>' that starts the service, or --url")
    with tempfile.TemporaryDirectory(prefix="groundwork-conform-") as workdir:
        return _run_command(options, selected, Path(workdir))


def _wants(selected: tuple[str, ...], clauses: Sequence[str]) -> bool:
    return any(clause in selected for clause in clauses)


def _guard(recorder: Recorder, clauses: Sequence[str], step: Callable[[], None]) -> None:
    """Run a step; if it breaks (the service stopped answering), its unjudged clauses fail with the reason."""
    try:
        step()
    except (http.TransportError, StartFailed, ValueError, KeyError, TypeError) as error:
        for clause in clauses:
            if clause not in recorder.results:
                recorder.failed(clause, f"the check could not finish: {type(error).__name__}: {error}"[:300])


def _run_url(url: str, selected: tuple[str, ...]) -> Report:
    recorder = Recorder()
    session = Session(url=url, recorder=recorder)
    _guard(recorder, probes.CLAUSES, lambda: probes.check_probes(session))
    if _wants(selected, metrics.CLAUSES):

        def telemetry() -> None:
            before = metrics.scrape(url)
            metrics.check_metrics(session, before, traffic.send_traffic(session))

        _guard(recorder, metrics.CLAUSES, telemetry)
    for clause in CLAUSES:
        if clause not in recorder.results:
            recorder.not_applicable(clause, URL_ONLY)
    return build_report(url, recorder, selected)


def _discover(launch: config.Launcher, timeout: float) -> tuple[str, ...]:
    """The declared downstreams, as the service's /readyz names its checks (with the suite's peers absent)."""
    process = launch({"OTEL_SDK_DISABLED": "true"}, "discover")
    try:
        process.start(timeout)
        body = http.get(f"{process.url}/readyz", timeout=10).json_or_none()
    finally:
        process.stop()
    checks = body.get("checks") if isinstance(body, dict) else None
    return tuple(sorted(name for name in (checks or {}) if name != "shutdown"))


def _run_command(options: ConformOptions, selected: tuple[str, ...], workdir: Path) -> Report:
    recorder = Recorder()
    target = " ".join(options.command)
    quiet = {"OTEL_SDK_DISABLED": "true"}
    bare = config.make_launcher(options.command, quiet, workdir, options.cwd)
    try:
        names = options.downstreams if options.downstreams is not None else _discover(bare, options.start_timeout)
    except StartFailed as error:
        for clause in selected:
            recorder.failed(clause, f"the service did not start: {error}"[:400])
        return build_report(target, recorder, selected)

    receiver = OtlpReceiver()
    downstreams = {name: TestDownstream(name) for name in names}
    receiver.start()
    for downstream in downstreams.values():
        downstream.start()
    try:
        urls = {name: d.url for name, d in downstreams.items()}
        env = service_env(receiver.url, urls)
        launch = config.make_launcher(options.command, env, workdir, options.cwd)
        process = launch({}, "service")
        session = Session(process.url, recorder, process, receiver, downstreams)
        _main_session(session, selected, options.start_timeout)
        if "config.switches" in selected:
            _guard(
                recorder, ["config.switches"], lambda: config.check_switches(session, bare, urls, options.start_timeout)
            )
        if "config.refuse-bad-value" in selected:
            _guard(recorder, ["config.refuse-bad-value"], lambda: config.check_bad_values(session, bare))
        if "config.downstreams" in selected:
            _guard(recorder, ["config.downstreams"], lambda: config.check_downstreams(session, bare))
    finally:
        for downstream in downstreams.values():
            downstream.release()
            downstream.stop()
        receiver.stop()
    return build_report(target, recorder, selected)


def _main_session(session: Session, selected: tuple[str, ...], start_timeout: float) -> None:
    recorder = session.recorder
    process = session.process
    assert process is not None
    try:
        took = process.start(start_timeout)
    except StartFailed as error:
        for clause in selected:
            recorder.failed(clause, f"the service did not start: {error}"[:400])
        return
    try:
        recorder.passed("config.listen", f"answered on {process.url} (APP_HOST, APP_PORT) {took:.1f} s after start")
        _guard(recorder, probes.CLAUSES, lambda: probes.check_probes(session))
        _guard(recorder, ["probes.readyz"], lambda: traffic.discover_routes(session))
        if _wants(selected, (*TELEMETRY, "propagation.outbound")):
            _guard(recorder, TELEMETRY, lambda: _telemetry(session, selected))
        if _wants(selected, outbound.CLAUSES):
            _guard(recorder, outbound.CLAUSES, lambda: outbound.check_outbound(session))
        if _wants(selected, probes.DEPENDENCY_CLAUSES):
            _guard(recorder, probes.DEPENDENCY_CLAUSES, lambda: probes.check_stopped_dependency(session))
        if _wants(selected, (*shutdown.CLAUSES, "logs.json")):
            _guard(recorder, shutdown.CLAUSES, lambda: shutdown.check_shutdown(session))
    finally:
        process.stop()
    _guard(recorder, ["logs.json"], lambda: logs.check_json_lines(session))


def _telemetry(session: Session, selected: tuple[str, ...]) -> None:
    before = metrics.scrape(session.url)
    sent = traffic.send_traffic(session)
    records = session.process.log_records() if session.process else []
    session.service_name = next((str(r["service"]) for r in records if r.get("service")), "")
    traces.check_outbound_propagation(session, sent)
    if _wants(selected, metrics.CLAUSES):
        metrics.check_metrics(session, before, sent)
    if _wants(selected, ("logs.request-line",)):
        logs.check_request_lines(session, sent)
    if _wants(selected, traces.CLAUSES):
        traces.check_traces(session, sent)
    if _wants(selected, ("logs.trace-ids",)):
        logs.check_trace_ids(session, sent)
