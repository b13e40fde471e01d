"""The order saga's throughput and its outbox relay latency, side by side in one run (issue 16, acceptance 4).

    uv run python bench/saga/run.py [--orders 400] [--concurrency 16]

Renders order, inventory, payment and notification from the template with database=postgres events=kafka
and their teams' code (fleet/, as tests/service/test_saga.py does), each with its own database on one
PostgreSQL from Debian's packages (the test harness's: fsync off, so these are not durable-commit figures)
and all on one Kafka 4.1 broker in KRaft mode, every process on the same 2 shared cores, on loopback. After
a warm-up it places `--orders` orders with `--concurrency` clients (each succeeds: stock and funds suffice)
and reports:

- saga throughput: orders confirmed per second, from the first placement to the last confirmation (read from
  order's own database);
- each order's saga time (placed to confirmed, the database's clock) p50/p99;
- the outbox relay latency of every event the saga published while the load ran (five per order: the
  transaction's `ce_time` to its arrival at a reader on loopback) p50/p99/max.

Writes bench/results/saga-<date>.md and .json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO / "tests" / "service")]

from outbox import in_scratch, percentile, relay_latencies  # noqa: E402
from support.fleet import _run, clean_environment  # noqa: E402
from support.saga import FINAL, SAGA, TOPICS, Saga, render_saga  # noqa: E402

from servers import KafkaBroker, PostgresServer  # noqa: E402

RESULTS = REPO / "bench" / "results"
EVENTS_PER_ORDER = 5  # order.placed, stock.reserved, order.payment-requested, payment.charged, order.confirmed
CUSTOMERS = 50
SKU = "bench-sku"


async def place(url: str, orders: int, concurrency: int, first: int) -> list[str]:
    """POST `orders` orders with `concurrency` clients; their ids."""
    ids: list[str] = []
    queue = iter(range(first, first + orders))
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def worker() -> None:
            for n in queue:
                order = {"customer": f"c{n % CUSTOMERS}", "sku": SKU, "quantity": 1, "amount_cents": 100}
                response = await client.post("/v1/orders", json=order)
                if response.status_code != 202:
                    raise RuntimeError(f"POST /v1/orders answered {response.status_code}: {response.text[:200]}")
                ids.append(response.json()["id"])

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids


def wait_final(saga: Saga, ids: list[str], deadline_seconds: float = 900) -> float:
    """Poll order's database until every order in `ids` ended; the monotonic time it was seen."""
    listed = ", ".join(f"'{order_id}'" for order_id in ids)
    statement = f"SELECT count(*) FROM orders WHERE id IN ({listed}) AND status IN {FINAL}"
    deadline = time.monotonic() + deadline_seconds
    while int(saga.sql("order", statement)[0][0]) < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"orders still under way after {deadline_seconds} s")
        time.sleep(0.05)
    return time.monotonic()


async def measured(saga: Saga, args: argparse.Namespace) -> tuple[float, float, list[str], list[float]]:
    ready = asyncio.Event()
    topics = sorted({topic for publishes, _ in TOPICS.values() for topic in publishes})
    group = f"bench-{time.monotonic_ns()}"
    count = args.orders * EVENTS_PER_ORDER
    reader = asyncio.create_task(relay_latencies(saga.broker.bootstrap_servers, topics, count, group, ready))
    await ready.wait()
    started = time.monotonic()
    ids = await place(saga.url("order"), args.orders, args.concurrency, first=1000)
    placed = time.monotonic()
    finished = await asyncio.to_thread(wait_final, saga, ids)
    return placed - started, finished - started, ids, await reader


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    return in_scratch("groundwork-bench-saga-", lambda work: run(args, work))


def run(args: argparse.Namespace, work: Path) -> int:
    services = render_saga(work)
    for service in services.values():  # compile and cache the imports once, outside the measured run
        _run([str(service.python), "-c", f"import {service.package}.app"], clean_environment(), cwd=service.path)
    quiet = {"APP_ACCESS_LOG": "false", "APP_LOG_LEVEL": "WARNING"}
    with PostgresServer() as postgres, KafkaBroker() as broker:
        saga = Saga(services, postgres, broker, work, env=quiet)
        saga.migrate()
        saga.start_all()
        try:
            saga.stock(SKU, 10**9)
            for customer in range(CUSTOMERS):
                saga.account(f"c{customer}", 10**12)
            wait_final(saga, asyncio.run(place(saga.url("order"), 40, 4, first=0)))  # warm-up
            placing, total, ids, relay = asyncio.run(measured(saga, args))
            listed = ", ".join(f"'{order_id}'" for order_id in ids)
            rows = saga.sql(
                "order",
                f"SELECT status, extract(epoch FROM updated_at - created_at) FROM orders WHERE id IN ({listed})",
            )
        finally:
            saga.stop_all()
    confirmed = [float(seconds) for status, seconds in rows if status == "confirmed"]
    summary: dict[str, Any] = {
        "command": f"uv run python bench/saga/run.py --orders {args.orders} --concurrency {args.concurrency}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": 2,
        "load_average_1m_at_end": os.getloadavg()[0],  # the cores are shared: how busy they were
        "orders": args.orders,
        "confirmed": len(confirmed),
        "placements_per_second": args.orders / placing,
        "saga_orders_per_second": args.orders / total,
        "saga_ms": {"p50": percentile(confirmed, 0.5) * 1000, "p99": percentile(confirmed, 0.99) * 1000},
        "relay_latency_ms": {
            "events": len(relay),
            "p50": percentile(relay, 0.50) * 1000,
            "p99": percentile(relay, 0.99) * 1000,
            "max": max(relay) * 1000,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"saga-{datetime.now(UTC).date().isoformat()}"
    stem.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    saga_ms, relay_ms = summary["saga_ms"], summary["relay_latency_ms"]
    stem.with_suffix(".md").write_text(
        f"# bench/saga ({summary['date']})\n\n`{summary['command']}`: {', '.join(SAGA)}, PostgreSQL "
        f"(fsync off) and Kafka on 2 shared cores (load average {summary['load_average_1m_at_end']:.1f} at the end), "
        "loopback. All orders are placed at once: an order's saga time is mostly its wait in the queue.\n\n"
        "| figure | value |\n| --- | --- |\n"
        f"| saga throughput (placed to confirmed, {summary['confirmed']}/{args.orders} confirmed) | "
        f"{summary['saga_orders_per_second']:.1f} orders/s |\n"
        f"| placements accepted (POST /v1/orders) | {summary['placements_per_second']:.1f} orders/s |\n"
        f"| one order's saga, placed to confirmed | p50 {saga_ms['p50']:.0f} ms, p99 {saga_ms['p99']:.0f} ms |\n"
        f"| outbox relay latency ({relay_ms['events']} events, transaction to reader) | "
        f"p50 {relay_ms['p50']:.1f} ms, p99 {relay_ms['p99']:.1f} ms, max {relay_ms['max']:.1f} ms |\n"
    )
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
