"""Acceptance 1 of issue 16: a service rendered with database=postgres and events=kafka, against real servers.

Its own checks and tests pass against the session's PostgreSQL and Kafka (migrations up and down, a duplicate
delivery processed once, poison to the dead-letter topic, ...); then, as a process on loopback, its outbox
survives a real broker outage (nothing lost, nothing twice) and /readyz turns 503 naming the database when the
real PostgreSQL stops, and ready again when it is back."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from support.fleet import RenderedService, ServiceProcess, clean_environment
from support.state import alembic, own_database, read_topic

from judges import tool, zizmor_findings
from render_support import REPO_ROOT
from servers import KafkaBroker, PostgresServer

pytestmark = pytest.mark.slow

PROJECT_CHECKS = [
    ["uv", "run", "--locked", "ruff", "check", "."],
    ["uv", "run", "--locked", "ruff", "format", "--check", "."],
    ["uv", "run", "--locked", "mypy"],
    # The tests the two options add or change; the rest of the suite is the stateless template's, which
    # tests/test_render_projects.py runs for other answer sets.
    [
        "uv",
        "run",
        "--locked",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-rs",
        "tests/test_database.py",
        "tests/test_events.py",
        "tests/test_health.py",
        "tests/test_settings.py",
    ],
]


def test_the_rendered_service_passes_its_own_checks_against_real_servers(
    stateful: RenderedService, postgres_server: PostgresServer, kafka_broker: KafkaBroker
) -> None:
    database = postgres_server.create_database(f"ledger_tests_{time.monotonic_ns() % 10**8}")
    env = clean_environment(
        {"TEST_DATABASE_URL": database.dsn, "TEST_KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers}
    )
    for command in PROJECT_CHECKS:
        result = subprocess.run(
            command, cwd=stateful.path, env=env, capture_output=True, text=True, timeout=1200, check=False
        )
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" in summary
    assert "skipped" not in summary, "every state test ran against the real servers"
    # The run migrated the database up and back down to nothing, as its fixture promises.
    assert postgres_server.sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", database.name
    ).split() == ["alembic_version"]


def outbox_rows(server: PostgresServer, database: str) -> int:
    return int(server.sql("SELECT count(*) FROM outbox", database).strip())


def test_the_outbox_loses_nothing_and_sends_nothing_twice_across_a_broker_outage(
    stateful: RenderedService, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    database = own_database(postgres_server, stateful)
    with KafkaBroker() as broker:
        env = {"APP_DATABASE_URL": database.dsn, "APP_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers}
        service = ServiceProcess(stateful, tmp_path, env=env).start()
        try:
            before = httpx.post(f"{service.url}/v1/notes", json={"text": "before"}, timeout=10).json()["id"]
            read_topic(broker.bootstrap_servers, "ledger.events", lambda found: len(found) >= 1)

            broker.stop()
            during = [httpx.post(f"{service.url}/v1/notes", json={"text": f"during {n}"}, timeout=10) for n in range(5)]
            assert [response.status_code for response in during] == [201] * 5, "writes go on without the broker"
            assert service.get("/readyz").status_code == 200, "a broker outage does not take the service out"
            assert outbox_rows(postgres_server, database.name) == 5, "the events wait in the outbox"

            broker.start()
            ids = [before, *(response.json()["id"] for response in during)]
            deadline = time.monotonic() + 60
            while outbox_rows(postgres_server, database.name) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)  # anything sent twice would arrive right behind the first copy
            records = read_topic(broker.bootstrap_servers, "ledger.events", lambda found: len(found) >= len(ids))
            metrics = service.get("/metrics").text
        finally:
            service.stop()
    sent = Counter((key or b"").decode() for key, _, _ in records)
    assert sent == Counter(ids), "every note's event on the topic exactly once"
    texts = sorted(json.loads(value or b"{}")["text"] for _, value, _ in records)
    assert texts == sorted(["before", *(f"during {n}" for n in range(5))])
    assert outbox_rows(postgres_server, database.name) == 0
    assert "outbox_backlog 0.0" in metrics


def test_readyz_is_503_naming_the_database_while_it_is_stopped(stateful: RenderedService, tmp_path: Path) -> None:
    with PostgresServer() as server:
        database = own_database(server, stateful)
        env = {"APP_DATABASE_URL": database.dsn, "APP_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
        service = ServiceProcess(stateful, tmp_path, env=env).start()
        try:
            assert service.get("/readyz").json()["checks"]["database"] == "ok"
            server.stop()
            stopped = service.get("/readyz")
            server.start()
            deadline = time.monotonic() + 30
            while service.get("/readyz").status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
            back = service.get("/readyz")
        finally:
            service.stop()
    assert stopped.status_code == 503
    assert stopped.json()["failed"] == ["database"]
    assert stopped.json()["checks"]["database"].startswith("unreachable")
    assert database.password not in stopped.text
    assert back.status_code == 200, "ready again once the database is back"


def test_migrations_run_down_and_up_against_a_real_database(
    stateful: RenderedService, postgres_server: PostgresServer
) -> None:
    database = own_database(postgres_server, stateful)
    tables = "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"
    at_head = postgres_server.sql(tables, database.name).strip()
    assert at_head == "alembic_version,notes,outbox,processed_messages,received_events"
    alembic(stateful, database, "downgrade", "base")
    assert postgres_server.sql(tables, database.name).strip() == "alembic_version"
    alembic(stateful, database, "upgrade", "head")
    assert postgres_server.sql(tables, database.name).strip() == at_head


def test_its_ci_starts_the_servers_and_passes_the_workflow_judges(stateful: RenderedService) -> None:
    workflow = stateful.path / ".github" / "workflows" / "ci.yml"
    text = workflow.read_text()
    assert "run: ci/start-postgres" in text
    assert "run: ci/start-kafka" in text
    assert os.access(stateful.path / "ci" / "start-postgres", os.X_OK)
    assert os.access(stateful.path / "ci" / "start-kafka", os.X_OK)
    service_pom = (stateful.path / "ci" / "kafka" / "pom.xml").read_text()
    harness_pom = (REPO_ROOT / "tests" / "servers" / "pom.xml").read_text()
    assert service_pom.split("<project", 1)[1] == harness_pom.split("<project", 1)[1], (
        "the service's CI broker and the harness's are the same pinned Kafka"
    )
    findings = zizmor_findings(workflow)
    assert not findings, [f"{f['ident']}: {f['desc']}" for f in findings]
    schema = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
