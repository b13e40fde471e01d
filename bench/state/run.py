"""What a service's own state costs, and how fast its outbox relays (issue 16), on real servers on loopback.

    uv run python bench/state/run.py [--requests 2000] [--concurrency 16]

Renders two services with `groundwork new service`: `dbonly` (database=postgres) and `ledger` (database=postgres,
events=kafka), each with its own database on one PostgreSQL from Debian's packages (the test harness's: fsync
off, so these figures are not durable-commit figures) and `ledger` with a Kafka 4.1 broker in KRaft mode (the
harness's, jars from Maven Central). Both serve `POST /v1/notes` (one INSERT in a transaction; `ledger` adds
the outbox row in the same transaction) under the same bounded load, interleaved, and the run reports
requests/s side by side with their ratio, and the outbox relay latency of every event, from the writing
transaction's timestamp (`ce_time`, the database's clock on this machine) to its arrival at a consumer, as
p50/p99/max. Writes bench/results/state-<date>.md and .json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO / "tests" / "service")]

import support.fleet  # noqa: E402
from outbox import in_scratch, percentile, relay_latencies  # noqa: E402
from support.fleet import RenderedService, ServiceProcess, _run, clean_environment  # noqa: E402
from support.state import own_database, render_stateful_service  # noqa: E402

from servers import KafkaBroker, PostgresServer  # noqa: E402

RESULTS = REPO / "bench" / "results"
TRANSPORT_RETRIES: list[int] = []


def render_dbonly(dest: Path) -> RenderedService:
    command = [sys.executable, "-m", "groundwork", "new", "service", "dbonly", "--team", "team-bench"]
    command += ["--domain", "fleet", "--dest", str(dest), "--no-deploy", "--database", "postgres", "--ref", "HEAD"]
    env = clean_environment()
    _run(command, env, cwd=dest.parent)
    _run(["uv", "sync", "--locked", "--no-dev", "--quiet"], env, cwd=dest)
    return RenderedService("dbonly", dest)


async def load(url: str, requests: int, concurrency: int) -> tuple[float, list[float]]:
    """POST `requests` notes with `concurrency` clients; (requests/s, per-request seconds)."""
    latencies: list[float] = []
    queue = iter(range(requests))
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def worker() -> None:
            for n in queue:
                started = time.perf_counter()
                try:
                    response = await client.post("/v1/notes", json={"text": f"note {n}"})
                except httpx.TransportError:  # a kept-alive connection closed under us: once more, counted
                    TRANSPORT_RETRIES.append(n)
                    response = await client.post("/v1/notes", json={"text": f"note {n}"})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 201:
                    raise RuntimeError(f"POST /v1/notes answered {response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return requests / elapsed, latencies


async def load_and_consume(
    url: str, args: argparse.Namespace, bootstrap: str, round_: int
) -> tuple[float, list[float], list[float]]:
    """The load, with a consumer reading its events as they arrive (from the topic's end: not the warm-up's)."""
    reader = asyncio.create_task(
        relay_latencies(bootstrap, ["ledger.events"], args.requests, f"bench-{round_}", limit_seconds=300)
    )
    await asyncio.sleep(2.0)  # the reader has joined its group before the first measured write
    rate, latencies = await load(url, args.requests, args.concurrency)
    return rate, latencies, await reader


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    return in_scratch("groundwork-bench-state-", lambda work: run(args, work))


def run(args: argparse.Namespace, work: Path) -> int:
    dbonly = render_dbonly(work / "dbonly")
    ledger = render_stateful_service(work / "ledger", "ledger", [])
    support.fleet.START_TIMEOUT_SECONDS = 180.0  # a loaded shared machine; the first start compiles bytecode
    for service in (dbonly, ledger):  # compile and cache the imports once, outside the measured runs
        _run([str(service.python), "-c", f"import {service.package}.app"], clean_environment(), cwd=service.path)
    rates: dict[str, list[float]] = {"dbonly": [], "ledger": []}
    request_p99: dict[str, list[float]] = {"dbonly": [], "ledger": []}
    relay: list[float] = []
    with PostgresServer() as postgres, KafkaBroker() as broker:
        for round_ in range(args.rounds):
            for service in (dbonly, ledger):
                database = own_database(postgres, service)
                env = {
                    "APP_DATABASE_URL": database.dsn,
                    "APP_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                    "APP_ACCESS_LOG": "false",
                    "APP_LOG_LEVEL": "WARNING",
                }
                process = ServiceProcess(service, work, env=env).start()
                try:
                    asyncio.run(load(process.url, 50, 4))  # warm the pool and the code paths
                    if service is ledger:  # the consumer reads while the load runs: arrival times are real
                        rate, latencies, arrived = asyncio.run(
                            load_and_consume(process.url, args, broker.bootstrap_servers, round_)
                        )
                        relay += arrived
                    else:
                        rate, latencies = asyncio.run(load(process.url, args.requests, args.concurrency))
                finally:
                    process.stop()
                rates[service.name].append(rate)
                request_p99[service.name].append(percentile(latencies, 0.99))
                p99_ms = percentile(latencies, 0.99) * 1000
                print(f"round {round_ + 1} {service.name}: {rate:.0f} req/s, p99 {p99_ms:.1f} ms", flush=True)
    summary: dict[str, Any] = {
        "command": f"uv run python bench/state/run.py --requests {args.requests} --concurrency {args.concurrency}"
        f" --rounds {args.rounds}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": 2,
        "requests_per_second": {name: statistics.median(values) for name, values in rates.items()},
        "request_p99_ms": {name: statistics.median(values) * 1000 for name, values in request_p99.items()},
        "transport_retries": len(TRANSPORT_RETRIES),
        "outbox_write_cost_ratio": statistics.median(rates["ledger"]) / statistics.median(rates["dbonly"]),
        "relay_latency_ms": {
            "events": len(relay),
            "p50": percentile(relay, 0.50) * 1000,
            "p99": percentile(relay, 0.99) * 1000,
            "max": max(relay) * 1000,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"state-{datetime.now(UTC).date().isoformat()}"
    stem.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    rps, p99, ratio, relay_ms = (
        summary["requests_per_second"],
        summary["request_p99_ms"],
        summary["outbox_write_cost_ratio"],
        summary["relay_latency_ms"],
    )
    stem.with_suffix(".md").write_text(
        f"# bench/state ({summary['date']})\n\n`{summary['command']}` on 2 shared cores; PostgreSQL with fsync off.\n\n"
        "| service | POST /v1/notes req/s (median of rounds) | request p99 ms |\n| --- | --- | --- |\n"
        f"| dbonly (database=postgres) | {rps['dbonly']:.0f} | {p99['dbonly']:.1f} |\n"
        "| ledger (+ events=kafka, outbox row in the same transaction) | "
        f"{rps['ledger']:.0f} | {p99['ledger']:.1f} |\n\n"
        f"Outbox write cost: ledger/dbonly throughput = {ratio:.2f}.\n\n"
        f"Outbox relay latency over {relay_ms['events']} events (transaction to consumer): "
        f"p50 {relay_ms['p50']:.1f} ms, p99 {relay_ms['p99']:.1f} ms, max {relay_ms['max']:.1f} ms.\n"
    )
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
