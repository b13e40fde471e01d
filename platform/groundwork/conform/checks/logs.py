"""logs.*: JSON lines on stdout with the contract's keys, one request line per request, and trace ids
that are the exported server span's."""

import json
import re
import time
from typing import Any

from groundwork.conform.otlp import SPAN_KIND_SERVER
from groundwork.conform.session import Session, Traffic

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|\+00:00)$")
BASE_KEYS = ("timestamp", "level", "event", "service")
REQUEST_KEYS = ("method", "route", "path", "status", "duration_ms")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def request_lines(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("event") == "request"]


def check_json_lines(session: Session) -> None:
    """Every line the process wrote to stdout, judged once it has exited."""
    assert session.process is not None
    lines = session.process.stdout_lines()
    problems = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except ValueError:
            problems.append(f"line {number} is not JSON: {line[:120]!r}")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {number} is not an object")
            continue
        missing = [key for key in BASE_KEYS if key not in record]
        if missing:
            problems.append(f"line {number} lacks {', '.join(missing)}: {line[:120]!r}")
        elif not TIMESTAMP.match(str(record["timestamp"])):
            problems.append(f"line {number} timestamp {record['timestamp']!r} is not ISO 8601 UTC with ms")
        if len(problems) >= 3:
            break
    if not lines:
        problems.append("nothing on stdout")
    session.recorder.check("logs.json", not problems, "; ".join(problems) or f"{len(lines)} lines, each conforms")


def check_request_lines(session: Session, traffic: Traffic) -> None:
    assert session.process is not None
    process = session.process
    deadline = time.monotonic() + 3
    while True:  # loggers may write asynchronously
        lines = request_lines(process.log_records())
        hello = [r for r in lines if r.get("path") == traffic.hello_route and r.get("method") == "GET"]
        if len(hello) >= traffic.hello_count or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    rec = session.recorder
    problems = []
    if len(hello) < traffic.hello_count:
        problems.append(f"{traffic.hello_count} GET {traffic.hello_route} but {len(hello)} request lines")
    for record in hello[:1]:
        missing = [key for key in REQUEST_KEYS if key not in record]
        if missing:
            problems.append(f"request line lacks {', '.join(missing)}")
        elif record["route"] != traffic.hello_route or int(record["status"]) != 200:
            problems.append(f"request line says route {record['route']!r} status {record['status']!r}")
    unmatched = [r for r in lines if r.get("path") == traffic.unmatched_path]
    if unmatched and unmatched[0].get("route") != "unmatched":
        problems.append(f"unmatched path logged with route {unmatched[0].get('route')!r}")
    rec.check("logs.request-line", not problems, "; ".join(problems) or f"{len(lines)} request lines")


def check_trace_ids(session: Session, traffic: Traffic) -> None:
    assert session.process is not None
    assert session.receiver is not None
    rec = session.recorder
    lines = request_lines(session.process.log_records())
    sampled = [r for r in lines if r.get("path") == traffic.root_path and r.get("trace_id") == traffic.sampled_trace]
    unsampled = [r for r in lines if r.get("trace_id") == traffic.unsampled_trace]
    spans = session.receiver.snapshot()
    server = [s for s in spans if s.trace_id == traffic.sampled_trace and s.kind == SPAN_KIND_SERVER]
    problems = []
    if not sampled:
        ids = sorted({str(r.get("trace_id")) for r in lines if r.get("path") == traffic.root_path})
        problems.append(f"no request line with the inbound trace id {traffic.sampled_trace} (saw {ids[:3]})")
    elif not HEX16.match(str(sampled[0].get("span_id", ""))):
        problems.append(f"span_id {sampled[0].get('span_id')!r} is not 16 hex")
    elif server and sampled[0]["span_id"] != server[0].span_id:
        problems.append(f"span_id {sampled[0]['span_id']} is not the server span's {server[0].span_id}")
    elif not server:
        problems.append("no exported server span to match (see traces.export)")
    if not unsampled:
        problems.append("an unsampled request's line does not carry its inbound trace id")
    bad = [r.get("trace_id") for r in lines if "trace_id" in r and not HEX32.match(str(r["trace_id"]))]
    if bad:
        problems.append(f"trace_id {bad[0]!r} is not 32 hex")
    evidence = "; ".join(problems) or f"trace {traffic.sampled_trace} span {server[0].span_id} in log and export"
    rec.check("logs.trace-ids", not problems, evidence)
