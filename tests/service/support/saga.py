"""The capstone's order saga on loopback: order, inventory and payment (and notification, which tells the
customer how it ended) rendered from the template with database=postgres events=kafka, each with the domain
code its team added (fleet/<service>/ copied over the rendered repository), its own database on one real
PostgreSQL, all on one real Kafka broker.

Shared by the saga test and bench/saga: render once, migrate each database, create the topics, then start,
stop, kill and restart the services, place orders and read each service's own tables.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from render_support import REPO_ROOT
from servers import Database, KafkaBroker, PostgresServer
from support.fleet import RenderedService, ServiceProcess
from support.state import own_database, render_stateful_service

FLEET = REPO_ROOT / "fleet"
SAGA = ("order", "inventory", "payment", "notification")


def topics(service: str) -> tuple[list[str], list[str]]:
    """What `service` publishes and consumes: its GitOps entry's answers, which its catalog entry declares."""
    answers = yaml.safe_load((REPO_ROOT / "gitops" / "apps" / service / ".copier-answers.yml").read_text())
    return list(answers["publishes"]), list(answers["consumes"])


TOPICS = {service: topics(service) for service in SAGA}
FINAL = ("confirmed", "rejected", "cancelled")
WAIT_SECONDS = 90.0


def render_saga(root: Path, *, dev: bool = False) -> dict[str, RenderedService]:
    """The saga's services, rendered and installed, each with its team's code on top."""
    services = {}
    for name, (publishes, consumes) in TOPICS.items():
        services[name] = render_stateful_service(
            root / name, name, consumes, publishes=publishes, overlay=FLEET / name, dev=dev
        )
    return services


def create_topics(bootstrap: str) -> None:
    """The saga's topics, as Strimzi's KafkaTopic resources create them in a cluster (one partition here)."""

    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = [topic for publishes, _ in TOPICS.values() for topic in publishes if topic not in existing]
            if wanted:
                await admin.create_topics([NewTopic(topic, 1, 1) for topic in wanted])
        finally:
            await admin.close()

    asyncio.run(create())


@dataclass
class Saga:
    """The running saga fleet: each service's process and own database."""

    services: Mapping[str, RenderedService]
    server: PostgresServer
    broker: KafkaBroker
    log_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    databases: dict[str, Database] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def migrate(self) -> None:
        for name, service in self.services.items():
            self.databases[name] = own_database(self.server, service)
        create_topics(self.broker.bootstrap_servers)

    def start(self, name: str) -> ServiceProcess:
        env = {
            **self.env,
            "APP_DATABASE_URL": self.databases[name].dsn,
            "APP_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
        }
        self.processes[name] = ServiceProcess(self.services[name], self.log_dir, env=env).start(WAIT_SECONDS)
        return self.processes[name]

    def start_all(self) -> None:
        for name in self.services:
            self.start(name)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.stop()

    def url(self, name: str) -> str:
        return self.processes[name].url

    def sql(self, name: str, statement: str) -> list[list[str]]:
        """Rows of a query on `name`'s own database, as strings."""
        output = self.server.sql(statement, self.databases[name].name)
        return [line.split("|") for line in output.splitlines() if line]

    def stock(self, sku: str, available: int) -> None:
        put = httpx.put(f"{self.url('inventory')}/v1/stock/{sku}", json={"available": available}, timeout=10)
        put.raise_for_status()

    def account(self, customer: str, balance_cents: int) -> None:
        put = httpx.put(
            f"{self.url('payment')}/v1/accounts/{customer}", json={"balance_cents": balance_cents}, timeout=10
        )
        put.raise_for_status()

    def place(self, customer: str, sku: str, quantity: int, amount_cents: int) -> str:
        order = {"customer": customer, "sku": sku, "quantity": quantity, "amount_cents": amount_cents}
        response = httpx.post(f"{self.url('order')}/v1/orders", json=order, timeout=10)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def order_status(self, order_id: str) -> str:
        [[status]] = self.sql("order", f"SELECT status FROM orders WHERE id = '{order_id}'")
        return status

    def under_way(self) -> list[str]:
        """Orders whose saga has not ended, in order's own database."""
        return [row[0] for row in self.sql("order", f"SELECT id FROM orders WHERE status NOT IN {FINAL}")]

    def wait_until(self, name: str, statement: str, expected: list[list[str]]) -> None:
        """Wait until a query on `name`'s own database returns `expected`."""
        deadline = time.monotonic() + WAIT_SECONDS
        while (found := self.sql(name, statement)) != expected:
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: {statement} returned {found}, never {expected}")
            time.sleep(0.1)

    def wait_for_status(self, order_ids: list[str], wanted: tuple[str, ...] = FINAL) -> dict[str, str]:
        """Each order's status in order's own database, once every one is in `wanted`."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            statuses = {order_id: self.order_status(order_id) for order_id in order_ids}
            if all(status in wanted for status in statuses.values()):
                return statuses
            if time.monotonic() > deadline:
                raise AssertionError(f"orders never reached {wanted}: {statuses}")
            time.sleep(0.1)
