"""What bench/state and bench/saga share: the outbox relay's latency as a consumer sees it, percentiles, and the
scratch folder the rendered services live in (with this checkout's groundwork-runtime wheels)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from runtime_wheel import runtime_wheels


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def relay_latencies(
    bootstrap: str,
    topics: Sequence[str],
    count: int,
    group: str,
    ready: asyncio.Event | None = None,
    limit_seconds: float = 600,
) -> list[float]:
    """Seconds from each event's transaction (its `ce_time` header) to its arrival here, for `count` events of
    `topics`, read from their end (`ready` is set once the consumer has joined and is positioned there)."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="latest")
    await consumer.start()
    seen: list[float] = []
    try:
        if ready is not None:
            await consumer.getmany(timeout_ms=1000)  # joined and positioned: only the measured load counts
            ready.set()
        async with asyncio.timeout(limit_seconds):
            while len(seen) < count:
                batch = await consumer.getmany(timeout_ms=500)
                arrived = datetime.now(UTC)
                for messages in batch.values():
                    for message in messages:
                        written = datetime.fromisoformat(dict(message.headers)["ce_time"].decode())
                        seen.append((arrived - written).total_seconds())
    finally:
        await consumer.stop()
    return seen


def in_scratch(prefix: str, run: Callable[[Path], int]) -> int:
    """`run` in a fresh temporary folder, removed afterwards; the services it renders pin this checkout's
    groundwork-runtime (its wheels are found through UV_FIND_LINKS)."""
    os.environ["UV_FIND_LINKS"] = str(runtime_wheels())
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        return run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
