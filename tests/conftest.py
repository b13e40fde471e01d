"""Shared fixtures for the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from render_support import REPO_ROOT
from servers import KafkaBroker, PostgresServer


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL for the session; each test creates its own database and role on it."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """One Kafka broker for the session; tests use their own topic names. A test that stops the broker
    starts its own KafkaBroker instead."""
    with KafkaBroker() as broker:
        yield broker
