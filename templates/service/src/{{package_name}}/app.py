"""create_app(settings): the whole service, wired from its settings and groundwork-runtime. Importing this module
does nothing."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.responses import Response
from groundwork_runtime.downstream import ClientPolicy, DownstreamClient
from groundwork_runtime.health import Check, Readiness, downstream_check, health_router
from groundwork_runtime.lifecycle import Lifecycle
from groundwork_runtime.logs import build_access_log, build_logger, configure_logging
from groundwork_runtime.metrics import CONTENT_TYPE_LATEST, ClientMetrics, RedMetrics, build_registry, render
from groundwork_runtime.middleware import TelemetryMiddleware
from groundwork_runtime.tracing import (
    PresetTraceIds,
    build_tracer_provider,
    root_sampling_bound,
    shutdown_tracer_provider,
)
from opentelemetry.sdk.trace import TracerProvider

from . import about
from .api import api_router
from .settings import Settings
from .state import build_state


def create_app(settings: Settings, *, tracer_provider: TracerProvider | None = None) -> FastAPI:
    """Build the service. `tracer_provider` replaces the one built from the OTEL_* variables (tests pass
    one with an in-memory exporter); the app then leaves shutting it down to the caller."""
    configure_logging(about.SERVICE_NAME, settings.log_level)
    log = build_logger(about.SERVICE_NAME, settings.log_level)
    owns_provider = tracer_provider is None
    provider = build_tracer_provider(settings, about.identity()) if tracer_provider is None else tracer_provider
    registry = build_registry() if settings.metrics_enabled else None
    lifecycle = Lifecycle()

    policy = ClientPolicy.from_settings(settings)
    client_metrics = ClientMetrics(registry) if registry is not None else None
    downstreams = {
        name: DownstreamClient(name, url, policy, tracer_provider=provider, metrics=client_metrics, log=log)
        for name, url in settings.downstream_urls.items()
    }
    # Probes use their own small, untraced pool: a saturated bulkhead must not fail readiness.
    probe_client = httpx.AsyncClient(
        timeout=settings.readiness_timeout_seconds,
        limits=httpx.Limits(max_connections=max(4, 2 * len(downstreams))),
    )
    checks: dict[str, Check] = {
        name: downstream_check(probe_client, client.base_url) for name, client in downstreams.items()
    }
    state = build_state(
        settings,
        tracer=provider.get_tracer(__package__ or about.SERVICE_NAME) if provider is not None else None,
        registry=registry,
        log=log,
    )
    checks.update(state.checks)
    readiness = Readiness(lifecycle, checks, settings.readiness_timeout_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Start-up work (warming caches, migrations checks) goes here, before mark_started().
        await state.start()
        lifecycle.mark_started()
        log.info(
            "started",
            version=about.version(),
            port=settings.port,
            downstreams=settings.downstream_urls,
            tracing=provider is not None,
            metrics=registry is not None,
        )
        try:
            yield
        finally:
            lifecycle.begin_draining()
            for client in downstreams.values():
                await client.aclose()
            await probe_client.aclose()
            state_closed = await state.stop(settings.flush_seconds)
            flushed = True
            if owns_provider and provider is not None:
                flushed = shutdown_tracer_provider(provider, settings.flush_seconds)
            log.info("stopped", spans_flushed=flushed, state_closed=state_closed)

    app = FastAPI(
        title=about.SERVICE_NAME,
        version=about.version(),
        lifespan=lifespan,
        # TelemetryMiddleware below does the server spans, metrics and access log, at a fraction of the
        # cost: FastAPI's own OpenTelemetry instrumentation would double them once a provider is global.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.include_router(health_router(lifecycle, readiness))
    app.include_router(api_router(about.SERVICE_NAME, downstreams))
    for router in state.routers:
        app.include_router(router)
    if registry is not None:

        async def metrics() -> Response:
            return Response(render(registry), media_type=CONTENT_TYPE_LATEST)

        app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)

    app.add_middleware(
        TelemetryMiddleware,
        tracer=provider.get_tracer(__package__ or about.SERVICE_NAME) if provider is not None else None,
        metrics=RedMetrics(registry, about.LATENCY_BUCKETS) if registry is not None else None,
        access_log=build_access_log(about.SERVICE_NAME, settings.log_level) if settings.access_log else None,
        root_sampling=_root_sampling(provider),
    )
    app.state.lifecycle = lifecycle
    app.state.tracer_provider = provider
    app.state.downstreams = downstreams
    app.state.state = state
    return app


def _root_sampling(provider: TracerProvider | None) -> tuple[PresetTraceIds, int] | None:
    """The middleware's fast path for root sampling, when the provider allows it (see
    groundwork_runtime.tracing.PresetTraceIds)."""
    if provider is None:
        return None
    bound = root_sampling_bound(provider)
    ids = provider.id_generator
    return (ids, bound) if bound is not None and isinstance(ids, PresetTraceIds) else None
