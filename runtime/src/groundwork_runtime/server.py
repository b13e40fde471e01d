"""Run the app under uvicorn (uvloop, httptools) with a bounded, readiness-first graceful shutdown.

On SIGTERM (or SIGINT): /readyz turns 503 at once; uvicorn stops accepting connections, closes idle ones
and waits up to the drain budget for in-flight requests; the lifespan then closes clients and flushes
spans within the rest of APP_SHUTDOWN_GRACE_SECONDS. A second SIGINT forces the exit.
"""

import gc
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

import uvicorn
from fastapi import FastAPI
from opentelemetry import trace
from structlog.typing import FilteringBoundLogger

from .lifecycle import Lifecycle
from .logs import build_logger
from .settings import RuntimeSettings

S = TypeVar("S", bound=RuntimeSettings)


class GracefulServer(uvicorn.Server):
    """uvicorn.Server that fails readiness first when told to stop, and says so in the log."""

    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, log: FilteringBoundLogger) -> None:
        super().__init__(config)
        self._lifecycle = lifecycle
        self._log = log

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Runs in the signal handler: only flip flags here.
        self._lifecycle.begin_draining()
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._log.info(
            "shutting down",
            in_flight=len(self.server_state.tasks),
            drain_seconds=self.config.timeout_graceful_shutdown,
        )
        await super().shutdown(sockets)


SWITCH_INTERVAL_SECONDS = 0.001
# Young-generation collections every 10,000 net allocations instead of 700: a request allocates a few hundred
# short-lived objects, and collecting them every couple of requests costs more than it frees.
GC_THRESHOLDS = (10_000, 10, 10)


def build_server(app: FastAPI, settings: RuntimeSettings, service_name: str) -> GracefulServer:
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,  # the app writes its own JSON access line
        log_config=None,  # uvicorn's records go to the root logger: JSON lines on stdout
        log_level=settings.log_level.lower(),
        server_header=False,
        timeout_graceful_shutdown=max(1, int(settings.drain_seconds)),
    )
    lifecycle = app.state.lifecycle
    if not isinstance(lifecycle, Lifecycle):  # pragma: no cover - create_app always sets it
        raise TypeError("the app has no Lifecycle in app.state.lifecycle")
    return GracefulServer(config, lifecycle, build_logger(service_name, settings.log_level))


def serve(settings: S, create_app: Callable[[S], FastAPI], service_name: str) -> None:
    """Build the app with `create_app(settings)` and serve it until SIGTERM/SIGINT. The app keeps its
    Lifecycle in `app.state.lifecycle` and its tracer provider (or None) in `app.state.tracer_provider`."""
    # The span exporter thread shares the GIL with the event loop: hand it back every 1 ms, not 5 ms, so a
    # request never waits a whole default slice behind an export (p99; bench/results/service-*.md).
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    app = create_app(settings)
    # What start-up made (modules, the app, its routes) lives as long as the process: move it out of the
    # collector's way, so collections only scan what requests allocate.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    provider = app.state.tracer_provider
    if provider is not None:
        trace.set_tracer_provider(provider)  # for spans the service's own code starts
    build_server(app, settings, service_name).run()
