"""A service rendered with database=postgres and events=kafka, installed with its dev tools, and what the
state tests do to it: migrate its own database, read its tables, read its topics."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from servers import Database, PostgresServer
from support.fleet import RenderedService, _run, clean_environment

WAIT_SECONDS = 90.0
Record = tuple[bytes | None, bytes | None, dict[str, bytes]]


def render_stateful_service(
    dest: Path,
    name: str,
    consumes: list[str],
    *,
    publishes: list[str] | None = None,
    overlay: Path | None = None,
    dev: bool = True,
) -> RenderedService:
    """`groundwork new service NAME --database postgres --events kafka`, then the files of `overlay` copied
    over it (a team's own code, as it would commit it), then `uv sync --locked` (with dev unless told)."""
    command = [sys.executable, "-m", "groundwork", "new", "service", name, "--team", f"team-{name}"]
    command += ["--domain", "fleet", "--dest", str(dest), "--no-deploy", "--database", "postgres", "--events", "kafka"]
    command += ["--ref", "HEAD"]  # this checkout's template, uncommitted changes included (not the latest tag)
    if consumes:
        command += ["--consumes", ",".join(consumes)]
    if publishes:
        command += ["--publishes", ",".join(publishes)]
    env = clean_environment()
    _run(command, env, cwd=dest.parent)
    if overlay is not None:
        shutil.copytree(overlay, dest, dirs_exist_ok=True)
    _run(["uv", "sync", "--locked", "--quiet", *([] if dev else ["--no-dev"])], env, cwd=dest)
    return RenderedService(name, dest)


def own_database(server: PostgresServer, service: RenderedService) -> Database:
    """A fresh database and role for one run of the service, migrated to head by its own Alembic."""
    database = server.create_database(f"{service.package}_{uuid.uuid4().hex[:8]}")
    alembic(service, database, "upgrade", "head")
    return database


def alembic(service: RenderedService, database: Database, *arguments: str) -> str:
    env = clean_environment({"APP_DATABASE_URL": database.dsn})
    result = subprocess.run(
        [str(service.python), "-m", "alembic", *arguments],
        cwd=service.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"alembic {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout + result.stderr


def read_topic(bootstrap: str, topic: str, until: Callable[[list[Record]], bool]) -> list[Record]:
    """Every message on `topic` from its start, read by a fresh group until `until(records)` holds."""

    async def read() -> list[Record]:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex}", auto_offset_reset="earliest"
        )
        await consumer.start()
        records: list[Record] = []
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                while not until(records):
                    batch = await consumer.getmany(timeout_ms=500)
                    for messages in batch.values():
                        records += [(m.key, m.value, dict(m.headers)) for m in messages]
        finally:
            await consumer.stop()
        return records

    return asyncio.run(read())
