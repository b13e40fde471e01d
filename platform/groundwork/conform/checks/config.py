"""config.*: APP_* variables honoured, and bad values refused at start in one line."""

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from groundwork.conform import client as http
from groundwork.conform.checks.logs import request_lines
from groundwork.conform.contract import HELLO_PATH
from groundwork.conform.session import Session
from groundwork.conform.target import ServiceProcess, StartFailed

CLAUSES = ("config.downstreams", "config.switches", "config.refuse-bad-value")
REFUSAL_WAIT_SECONDS = 20.0
# Bad values that every implementation must refuse: not a port, a negative count.
BAD_VALUES = {"APP_PORT": "not-a-port", "APP_HTTP_RETRIES": "-3"}
UNDECLARED = "conform-undeclared"

Launcher = Callable[[dict[str, str], str], ServiceProcess]


def refusal(launch: Launcher, env: dict[str, str], variable: str, label: str) -> tuple[bool, str]:
    """Start with a bad value: it must exit non-zero, in one line naming `variable`, without a stack trace."""
    process = launch(env, label)
    process.spawn()
    code = process.wait(REFUSAL_WAIT_SECONDS)
    if code is None:
        process.kill()
        return False, f"{variable}={env[variable]!r}: still running after {REFUSAL_WAIT_SECONDS:g} s (accepted)"
    lines = process.output_lines()
    naming = [line for line in lines if variable in line]
    traced = [line for line in lines if line.startswith("Traceback") or line.strip().startswith("at ")]
    ok = code != 0 and len(naming) >= 1 and len(lines) <= 2 and not traced
    shown = naming[0].strip()[:160] if naming else process.tail(2)
    return ok, f"{variable}={env[variable]!r}: exit {code}, {len(lines)} line(s): {shown}"


def check_bad_values(session: Session, launch: Launcher) -> None:
    verdicts = [refusal(launch, {name: value}, name, f"bad-{name.lower()}") for name, value in BAD_VALUES.items()]
    session.recorder.check("config.refuse-bad-value", all(ok for ok, _ in verdicts), "; ".join(e for _, e in verdicts))


def check_downstreams(session: Session, launch: Launcher) -> None:
    rec = session.recorder
    if not session.downstreams:
        rec.not_applicable("config.downstreams", "the service declares no downstream")
        return
    env = {"APP_DOWNSTREAMS": json.dumps({UNDECLARED: "http://127.0.0.1:9"})}
    ok, evidence = refusal(launch, env, "APP_DOWNSTREAMS", "undeclared")
    reached = session.has_chain and all(d.count() > 0 or d.completed > 0 for d in session.downstreams.values())
    moved = "calls reached the test downstreams" if reached else "no call reached a test downstream"
    rec.check("config.downstreams", ok and (reached or not session.has_chain), f"{moved}; undeclared name: {evidence}")


def check_switches(session: Session, launch: Launcher, urls: dict[str, str], timeout: float) -> None:
    env = {
        "APP_ACCESS_LOG": "false",
        "APP_METRICS_ENABLED": "false",
        "OTEL_SDK_DISABLED": "true",
        "APP_DOWNSTREAMS": json.dumps(urls),
    }
    process = launch(env, "switches")
    try:
        process.start(timeout)
        for _ in range(2):
            http.get(f"{process.url}{HELLO_PATH}")
        scraped = http.get(f"{process.url}/metrics").status
        time.sleep(0.5)
        lines = request_lines(process.log_records())
    except (StartFailed, http.TransportError) as error:
        session.recorder.failed("config.switches", f"with the switches off: {error}")
        return
    finally:
        process.stop()
    ok = scraped == 404 and not lines
    evidence = f"APP_METRICS_ENABLED=false: /metrics {scraped}; APP_ACCESS_LOG=false: {len(lines)} request lines"
    session.recorder.check("config.switches", ok, evidence)


def make_launcher(command: Sequence[str], base_env: dict[str, str], workdir: Path, cwd: Path | None) -> Launcher:
    def launch(env: dict[str, str], label: str) -> ServiceProcess:
        return ServiceProcess(command, {**base_env, **env}, workdir, label, cwd=cwd)

    return launch
