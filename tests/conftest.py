"""Shared fixtures for the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from render_support import REPO_ROOT
from runtime_wheel import runtime_wheels
from servers import KafkaBroker, PostgresServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The sandbox tests run last: on a new machine `make test` builds their engines in the background
    (`groundwork sandbox build --background`) while the rest of the suite runs; they wait for that build."""
    items.sort(key=lambda item: item.get_closest_marker("sandbox") is not None)


@pytest.fixture(scope="session", autouse=True)
def runtime_from_this_checkout() -> Iterator[Path]:
    """Rendered Python services depend on groundwork-runtime: every uv they run finds this checkout's build."""
    wheels = runtime_wheels()
    before = os.environ.get("UV_FIND_LINKS")
    os.environ["UV_FIND_LINKS"] = str(wheels)
    yield wheels
    if before is None:
        os.environ.pop("UV_FIND_LINKS", None)
    else:
        os.environ["UV_FIND_LINKS"] = before


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
