"""Launcher for the benchmark's config (c): the rendered service with its own telemetry off, instrumented the
stock way with opentelemetry-instrumentation-fastapi.

    <rendered venv>/bin/python bench/service/stock.py PACKAGE OTLP_TRACES_URL

- The app's settings come from the environment as usual (APP_METRICS_ENABLED=false, APP_ACCESS_LOG=false set
  by the benchmark), with the app's own tracing switched off here (otel_sdk_disabled=True): OTEL_SDK_DISABLED
  itself cannot be set in the environment, because the SDK reads it too and would turn the stock provider
  into a no-op.
- Stock set-up: TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1))), BatchSpanProcessor and
  OTLPSpanExporter to the benchmark's sink, FastAPIInstrumentor.instrument_app(app, tracer_provider=tp) with
  its defaults (server span plus its internal receive/send spans).
- Served by the rendered package's own build_server(): the same uvicorn options as `python -m PACKAGE`
  (uvloop, httptools, no uvicorn access log, one worker).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

RATIO = 0.1


def main() -> None:
    package, endpoint = sys.argv[1], sys.argv[2]
    settings_module = importlib.import_module(f"{package}.settings")
    app_module = importlib.import_module(f"{package}.app")
    try:  # a service on groundwork-runtime: the runtime's server, named after the service
        runtime_server = importlib.import_module("groundwork_runtime.server")
        about = importlib.import_module(f"{package}.about")

        def build_server(app: Any, settings: Any) -> Any:
            return runtime_server.build_server(app, settings, about.SERVICE_NAME)

    except ModuleNotFoundError:  # a service from before the runtime package: its own server module
        build_server = importlib.import_module(f"{package}.server").build_server

    settings = settings_module.load_settings().model_copy(update={"otel_sdk_disabled": True})
    if settings.tracing_enabled or settings.metrics_enabled or settings.access_log:
        raise SystemExit("stock launcher: set APP_METRICS_ENABLED=false and APP_ACCESS_LOG=false")

    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: f"{package}-stock"}),
        sampler=ParentBased(TraceIdRatioBased(RATIO)),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))

    app = app_module.create_app(settings)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    try:
        build_server(app, settings).run()
    finally:
        provider.shutdown()


if __name__ == "__main__":
    main()
