"""Benchmark the Node.js service template's telemetry against none and against the stock auto-instrumentation,
with the same wrk load as bench/service (whose helpers it reuses).

Not a test: it scaffolds `benchnode` with `groundwork new service --stack node --ref HEAD` (this checkout's
template, not the latest tag), installs it with `npm ci` from the committed lock file and builds it, then
serves it three ways on loopback and loads each with
`wrk -t2 -c16 -d<seconds>s --latency /v1/hello` in interleaved rounds a,b,c,a,b,c,...:

- (a) telemetry off: OTEL_SDK_DISABLED=true APP_METRICS_ENABLED=false APP_ACCESS_LOG=false;
- (b) the template's defaults: server spans sampled by parentbased_traceidratio at 0.1 and exported over
  OTLP/HTTP to a loopback sink, RED metrics, a JSON access line per request on stdout (sent to /dev/null);
- (c) stock: the app's own telemetry off, the OpenTelemetry Node SDK with getNodeAutoInstrumentations()
  preloaded (stock.mjs) with the same sampling and sink. Its packages (STOCK_PACKAGES) are installed into the
  rendered project only (`npm install --no-save`).

With `--baseline REF`, a fourth server (d) is (b) rendered from the template at REF, in the same rounds, and
the report gives (b) minus (d) per round: the machine's drift cancels out of a pair measured back to back.

Servers run on CPU 0, wrk and the sink on CPU 1 (taskset). It reports medians of requests/s and p99, the cost
of (b) and (c) against (a), (b)'s share of the stock cost (goal: at most half), server CPU per request, RSS,
and whether (b) exported spans for about 10 % of the requests and counted every request in /metrics. Writes
bench/results/service-node-<date>[-<suffix>].md and .json.

Usage: uv run python bench/service-node/run.py [--seconds 10] [--rounds 3] [--warmup 3] [--suffix NAME]
       [--baseline REF]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "service"))
import run as pybench  # noqa: E402 - bench/service/run.py: wrk, processes, machine facts

from groundwork.conform.otlp import SPAN_KIND_SERVER, OtlpReceiver  # noqa: E402

SERVICE = "benchnode"
CONFIGS = ("a", "b", "c")
BASELINE = "d"  # --baseline REF: (b) rendered from the template at REF
LABELS = {"a": "(a) telemetry off", "b": "(b) template instrumentation", "c": "(c) stock auto-instrumentation"}
# The stock instrumentation, installed into the rendered project only: pinned here, in one place.
# (The release line of the template's SDK: 0.82 needs @opentelemetry/api 1.10, which its core 2.x refuses.)
STOCK_PACKAGES = ("@opentelemetry/auto-instrumentations-node@0.81.2", "@opentelemetry/sdk-node@0.223.0")
TARGET_SHARE_OF_STOCK = 0.5
RATIO = 0.1
RESULTS = pybench.RESULTS


def sh(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=pybench.clean_env())
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def scaffold(work: Path, ref: str = "HEAD") -> Path:
    """The service rendered at `ref`, installed from its lock file and built, with the stock packages beside
    (in the baseline too: (b) and (d) are installed the same way)."""
    project = work / ref.replace("/", "-") / SERVICE
    project.parent.mkdir(parents=True, exist_ok=True)
    sh(
        [
            sys.executable,
            "-m",
            "groundwork",
            "new",
            "service",
            SERVICE,
            "--team",
            "team-bench",
            "--domain",
            "bench",
            "--stack",
            "node",
            "--no-deploy",
            "--ref",
            ref,  # HEAD: this checkout's template, uncommitted changes included (without it: the latest tag)
            "--dest",
            str(project),
        ],
        cwd=work,
    )
    sh(["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=project)
    sh(["npm", "run", "build"], cwd=project)
    sh(["npm", "install", "--no-save", "--no-audit", "--no-fund", *STOCK_PACKAGES], cwd=project)
    shutil.copy2(HERE / "stock.mjs", project / "stock.mjs")  # resolves the packages from the project
    return project


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type: a number of `kind` above zero, or argparse's one-line usage error."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: must be above 0")
        return value

    return parse


def check_ref(ref: str) -> None:
    """Refuse --baseline at once, before the first install, when `ref` names no commit of this checkout."""
    known = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=HERE,
        capture_output=True,
        check=False,
    )
    if known.returncode != 0:
        raise SystemExit(f"--baseline {ref!r}: no such commit, tag or branch here; give one `git log` shows")


def start(processes: pybench.Processes, config: str, project: Path, sink: str, logs: Path) -> pybench.Server:
    port = pybench.free_port()
    base = {"APP_HOST": "127.0.0.1", "APP_PORT": str(port), "NODE_ENV": "production"}
    command = ["node", "dist/src/main.js"]
    if config == "a":
        env = pybench.clean_env(**base, OTEL_SDK_DISABLED="true", APP_METRICS_ENABLED="false", APP_ACCESS_LOG="false")
    elif config in ("b", BASELINE):
        env = pybench.clean_env(**base, OTEL_EXPORTER_OTLP_ENDPOINT=sink, OTEL_SERVICE_NAME=f"{SERVICE}-{config}")
    else:
        env = pybench.clean_env(
            **base,
            OTEL_SDK_DISABLED="true",
            APP_METRICS_ENABLED="false",
            APP_ACCESS_LOG="false",
            OTEL_EXPORTER_OTLP_ENDPOINT=sink,
            OTEL_SERVICE_NAME=f"{SERVICE}-c",
            OTEL_METRICS_EXPORTER="none",  # traces only, like (b): its metrics are scraped, not pushed
            OTEL_LOGS_EXPORTER="none",
        )
        command = ["node", "--import", "./stock.mjs", "dist/src/main.js"]
    stderr = (logs / f"server-{config}.stderr").open("w", encoding="utf-8")
    processes.files.append(stderr)
    process = processes.start(
        pybench.pinned(0, command), env=env, stdout=subprocess.DEVNULL, stderr=stderr, cwd=project
    )
    server = pybench.Server(config, port, process)
    pybench.wait_until_up(f"{server.base}/startupz", process, f"server {LABELS[config]}")
    server.rss_start_mb = pybench.rss_mb(process.pid)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=positive(float), default=10.0)
    parser.add_argument("--rounds", type=positive(int), default=3)
    parser.add_argument("--warmup", type=positive(float), default=3.0)
    parser.add_argument("--connections", type=positive(int), default=16)
    parser.add_argument("--threads", type=positive(int), default=2)
    parser.add_argument("--suffix", default="", help="results/service-node-<date>-<suffix>.*: keeps earlier runs")
    parser.add_argument("--baseline", default="", help="also serve (b) as the template was at this git ref")
    args = parser.parse_args()
    configs = (*CONFIGS, BASELINE) if args.baseline else CONFIGS
    if args.baseline:
        check_ref(args.baseline)
    if args.baseline:
        LABELS[BASELINE] = f"(d) template at {args.baseline}"
    os.sched_setaffinity(0, {1})  # this process hosts the sink: keep it off the servers' CPU
    command = "uv run python bench/service-node/run.py " + " ".join(sys.argv[1:])
    processes = pybench.Processes()
    receiver = OtlpReceiver()
    receiver.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-node-") as scratch:
            work = Path(scratch)
            project = scaffold(work)
            projects = {c: project for c in CONFIGS}
            if args.baseline:
                projects[BASELINE] = scaffold(work, args.baseline)
            servers = {c: start(processes, c, projects[c], receiver.url, work) for c in configs}
            for server in servers.values():
                pybench.wrk(server.base + pybench.PATH, args.warmup, args.connections, args.threads, 1)
            counted_before = pybench.counted_requests(servers["b"], pybench.PATH)
            runs = [pybench.measure(servers[c], r, args, 1) for r in range(1, args.rounds + 1) for c in configs]
            counted = pybench.counted_requests(servers["b"], pybench.PATH) - counted_before
            for server in servers.values():
                server.rss_after_mb = pybench.rss_mb(server.process.pid)
            receiver.wait_for(lambda spans: False, 3.0)  # let the last batches arrive
            payload = report(args, command, runs, servers, receiver, counted, configs)
    finally:
        processes.stop_all()
        receiver.stop()
    print(write(payload, args.suffix))


def report(
    args: argparse.Namespace,
    command: str,
    runs: list[pybench.Run],
    servers: dict[str, pybench.Server],
    receiver: OtlpReceiver,
    counted: float,
    configs: tuple[str, ...],
) -> dict[str, Any]:
    median = {
        c: {
            k: statistics.median(getattr(r, k) for r in runs if r.config == c)
            for k in ("requests_per_second", "p99_ms", "cpu_us_per_request")
        }
        for c in configs
    }
    rps = {c: median[c]["requests_per_second"] for c in CONFIGS}
    cost = {c: 1 - rps[c] / rps["a"] for c in ("b", "c")}
    cpu = {c: median[c]["cpu_us_per_request"] - median["a"]["cpu_us_per_request"] for c in ("b", "c")}
    spans = receiver.snapshot()
    served_b = sum(r.requests for r in runs if r.config == "b")
    spans_b = sum(1 for s in spans if s.kind == SPAN_KIND_SERVER and s.resource.get("service.name") == f"{SERVICE}-b")
    spans_c = sum(1 for s in spans if s.kind == SPAN_KIND_SERVER and s.resource.get("service.name") == f"{SERVICE}-c")
    return {
        "command": command,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": pybench.machine_facts(),
        "load": "shared 2-core machine; 1-minute load average before each round "
        f"{min(r.load_before for r in runs):.1f} to {max(r.load_before for r in runs):.1f}",
        "runs": [asdict(r) for r in runs],
        "median": median,
        "cost_vs_off": cost,
        "cpu_us_per_request_vs_off": cpu,
        "share_of_stock_cost": cost["b"] / cost["c"] if cost["c"] > 0 else None,
        "share_of_stock_cpu": cpu["b"] / cpu["c"] if cpu["c"] > 0 else None,
        "target_share_of_stock": TARGET_SHARE_OF_STOCK,
        "rss_mb": {c: [s.rss_start_mb, s.rss_after_mb] for c, s in servers.items()},
        "signals": {
            "b_requests_served": served_b,
            "b_server_spans": spans_b,
            "b_span_ratio": spans_b / max(1, served_b),
            "c_server_spans": spans_c,
            "b_metrics_counted": counted,
        },
        "stock_packages": list(STOCK_PACKAGES),
        "labels": {c: LABELS[c] for c in configs},
        "baseline": baseline_pairs(runs) if BASELINE in configs else None,
    }


def baseline_pairs(runs: list[pybench.Run]) -> dict[str, Any]:
    """(b) minus (d) per round, in server CPU per request and in requests/s: each pair ran back to back."""
    b = {r.round: r for r in runs if r.config == "b"}
    d = {r.round: r for r in runs if r.config == BASELINE}
    cpu = [b[n].cpu_us_per_request - d[n].cpu_us_per_request for n in sorted(b)]
    rps = [b[n].requests_per_second / d[n].requests_per_second - 1 for n in sorted(b)]
    return {
        "cpu_us_per_request": cpu,
        "median_cpu_us_per_request": statistics.median(cpu),
        "rps_change": rps,
        "median_rps_change": statistics.median(rps),
        "rounds_b_cheaper": sum(1 for x in cpu if x < 0),
    }


def write(payload: dict[str, Any], suffix: str) -> Path:
    day = payload["date"][:10]
    name = f"service-node-{day}" + (f"-{suffix}" if suffix else "")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    m, cost, cpu, sig = (
        payload["median"],
        payload["cost_vs_off"],
        payload["cpu_us_per_request_vs_off"],
        payload["signals"],
    )
    share, share_cpu = payload["share_of_stock_cost"], payload["share_of_stock_cpu"]
    lines = [
        f"# Node.js service template: telemetry cost ({day})",
        "",
        f"Command: `{payload['command']}`. {payload['load']}.",
        "",
        "| config | requests/s (median) | p99 ms | server CPU us/request | RSS MB (start, after) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c, label in payload["labels"].items():
        rss = payload["rss_mb"][c]
        lines.append(
            f"| {label} | {m[c]['requests_per_second']:.0f} | {m[c]['p99_ms']:.2f} | "
            f"{m[c]['cpu_us_per_request']:.0f} | {rss[0]:.0f}, {rss[1]:.0f} |"
        )
    lines += [
        "",
        f"- throughput cost vs (a): template {cost['b']:.1%}, stock {cost['c']:.1%}; "
        f"template / stock = {share:.2f} (goal <= {TARGET_SHARE_OF_STOCK})"
        if share is not None
        else "- stock cost <= 0",
        f"- CPU per request added vs (a): template {cpu['b']:.0f} us, stock {cpu['c']:.0f} us; "
        f"template / stock = {share_cpu:.2f}"
        if share_cpu is not None
        else "- stock CPU cost <= 0",
        f"- (b) signals: {sig['b_server_spans']} server spans for {sig['b_requests_served']} requests "
        f"({sig['b_span_ratio']:.1%}, sampler ratio {RATIO}); /metrics counted {sig['b_metrics_counted']:.0f}; "
        f"(c) exported {sig['c_server_spans']} server spans",
        f"- stock packages: {', '.join(payload['stock_packages'])}",
    ]
    pairs = payload["baseline"]
    if pairs is not None:
        lines.append(
            f"- (b) - (d), per round: server CPU {pairs['median_cpu_us_per_request']:+.1f} us/request (median; "
            + ", ".join(f"{x:+.1f}" for x in pairs["cpu_us_per_request"])
            + f"), requests/s {pairs['median_rps_change']:+.1%} (median); (b) cheaper in "
            f"{pairs['rounds_b_cheaper']} of {len(pairs['cpu_us_per_request'])} rounds"
        )
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    main()
