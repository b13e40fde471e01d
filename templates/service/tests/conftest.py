"""Fixtures shared by the tests; the helpers they use live in helpers.py."""

import os
from collections.abc import Iterator

import pytest

from helpers import LiveServer, Spans, StandIn


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests say what they configure: nothing leaks in from the developer's APP_* or OTEL_* variables."""
    for name in list(os.environ):
        if name.startswith(("APP_", "OTEL_")):
            monkeypatch.delenv(name)


@pytest.fixture
def stand_in() -> Iterator[tuple[StandIn, LiveServer]]:
    app = StandIn()
    server = LiveServer(app).start()
    yield app, server
    server.stop()


@pytest.fixture
def spans() -> Iterator[Spans]:
    recorder = Spans()
    yield recorder
    recorder.provider.shutdown()
