"""Real servers for the tests: PostgreSQL from Debian's packages and a Kafka broker in KRaft mode.

Each is a process on loopback in its own temporary directory, started once per test session (or per test that
stops it on purpose) and stopped at the end. Nothing here mocks a server: a test that needs state talks to
the real engine. `python -m servers resolve` (PYTHONPATH=tests) fetches the broker's jars ahead of time.
"""

from servers.kafka import KafkaBroker, kafka_jars
from servers.postgres import Database, PostgresServer

__all__ = ["Database", "KafkaBroker", "PostgresServer", "kafka_jars"]
