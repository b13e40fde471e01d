"""The test harness's real servers behave like the real thing: what the state tests rely on."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from servers import KafkaBroker, PostgresServer

pytestmark = pytest.mark.slow


def test_postgres_gives_each_service_its_own_database_and_role(postgres_server: PostgresServer) -> None:
    orders = postgres_server.create_database(f"orders_{uuid.uuid4().hex[:8]}")
    stock = postgres_server.create_database(f"stock_{uuid.uuid4().hex[:8]}")

    async def scenario() -> None:
        connection = await asyncpg.connect(orders.dsn)
        try:
            await connection.execute("CREATE TABLE placed (id int PRIMARY KEY)")
            await connection.execute("INSERT INTO placed VALUES (1)")
            assert await connection.fetchval("SELECT count(*) FROM placed") == 1
        finally:
            await connection.close()
        # One service's role cannot open another service's database, nor log in with a wrong password.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(orders.dsn.rpartition("/")[0] + f"/{stock.name}")
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(stock.dsn.replace(stock.password, "wrong"))

    asyncio.run(scenario())
    assert postgres_server.sql("SELECT count(*) FROM placed", database=orders.name).strip() == "1"


def test_postgres_stops_and_starts_with_its_data(postgres_server: PostgresServer) -> None:
    database = postgres_server.create_database(f"restart_{uuid.uuid4().hex[:8]}")
    postgres_server.sql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')", database.name)
    postgres_server.stop()
    with pytest.raises(ConnectionRefusedError):
        asyncio.run(asyncpg.connect(database.dsn, timeout=5))
    postgres_server.start()
    assert postgres_server.sql("SELECT v FROM kept", database.name).strip() == "still here"


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, headers=[("traceparent", b"00-" + value)])
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"g-{topic}", auto_offset_reset="earliest")
    await consumer.start()
    try:
        received = []
        async with asyncio.timeout(60):
            async for message in consumer:
                received.append((message.value or b"", dict(message.headers)))
                if len(received) == count:
                    return received
    finally:
        await consumer.stop()
    return received


def test_kafka_broker_round_trips_messages_with_headers(kafka_broker: KafkaBroker) -> None:
    topic = f"harness-{uuid.uuid4().hex[:8]}"
    asyncio.run(_produce(kafka_broker.bootstrap_servers, topic, [b"one", b"two"]))
    received = asyncio.run(_consume(kafka_broker.bootstrap_servers, topic, 2))
    assert received == [(b"one", {"traceparent": b"00-one"}), (b"two", {"traceparent": b"00-two"})]


def test_kafka_broker_keeps_messages_across_a_restart() -> None:
    with KafkaBroker() as broker:
        asyncio.run(_produce(broker.bootstrap_servers, "kept", [b"before"]))
        broker.stop()
        assert broker.process is not None
        assert broker.process.poll() is not None
        broker.start()
        assert asyncio.run(_consume(broker.bootstrap_servers, "kept", 1)) == [
            (b"before", {"traceparent": b"00-before"})
        ]
