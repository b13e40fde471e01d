"""OpenTelemetry tracing: a tracer provider exporting OTLP over HTTP, configured by the OTEL_* variables.

The exporter reads `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (and the other
`OTEL_EXPORTER_OTLP_*` variables), the batch processor `OTEL_BSP_*`, the resource `OTEL_SERVICE_NAME` and
`OTEL_RESOURCE_ATTRIBUTES`; the global propagator `OTEL_PROPAGATORS` (W3C trace context and baggage by
default). The sampler comes from `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` through Settings.
"""

import os
import threading
from collections.abc import Sequence
from contextvars import ContextVar

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import (
    DEPLOYMENT_ENVIRONMENT,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    SERVICE_VERSION,
    OTELResourceDetector,
    Resource,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)

from .identity import Identity
from .otlp import encode_spans
from .settings import RuntimeSettings, SamplerName

# What deployment.environment says when OTEL_RESOURCE_ATTRIBUTES does not (a laptop, a test).
DEFAULT_ENVIRONMENT = "local"
# Spans per export batch unless OTEL_BSP_MAX_EXPORT_BATCH_SIZE says otherwise. The exporter thread encodes a
# batch while holding the GIL; the SDK's 512 stalls request handling for tens of milliseconds (p99), while 64
# spreads the same work in short slices (bench/results/service-*.md).
DEFAULT_EXPORT_BATCH_SIZE = 64


class SpanExporter(OTLPSpanExporter):
    """The SDK's OTLP/HTTP span exporter (endpoint, headers, compression, TLS, timeout and retries from the
    OTEL_EXPORTER_OTLP_* variables), encoding each batch with `otlp.encode_spans`: the same request at a
    quarter of the SDK encoder's cost on the exporter's thread. It uses OTLPSpanExporter's `_client` and
    `_shutdown` (opentelemetry-exporter-otlp-proto-http 1.45, locked in uv.lock) and falls back to the
    SDK's own export when a release has no `_client`; tests/test_tracing.py sends real spans through it to
    a real OTLP receiver."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        client = getattr(self, "_client", None)
        if client is None:  # another exporter release: its own encoder then
            return super().export(spans)
        if self._shutdown:
            return SpanExportResult.FAILURE
        result = client.export(encode_spans(spans))
        return SpanExportResult.SUCCESS if result.success else SpanExportResult.FAILURE


class PresetTraceIds(RandomIdGenerator):
    """Random ids, except a root trace id the middleware already drew (and sampled by) for this request.

    The middleware decides ratio sampling of root spans itself, on a trace id it draws: unsampled roots (most)
    then cost a NonRecordingSpan and no SDK call; sampled ones are started through the SDK on that same id,
    so the SDK's sampler takes the same decision.
    """

    def __init__(self) -> None:
        self.preset: ContextVar[int] = ContextVar("preset_trace_id", default=0)

    def generate_trace_id(self) -> int:
        preset = self.preset.get()
        return preset if preset else super().generate_trace_id()


def root_sampling_bound(provider: TracerProvider) -> int | None:
    """The trace-id bound below which a root span is sampled, when the middleware may decide it itself:
    the provider draws ids through PresetTraceIds and samples roots by TraceIdRatioBased. Else None."""
    if not isinstance(provider.id_generator, PresetTraceIds):
        return None
    sampler = provider.sampler
    root = getattr(sampler, "_root", None) if isinstance(sampler, ParentBased) else sampler
    return root.bound if isinstance(root, TraceIdRatioBased) else None


def build_sampler(name: SamplerName, ratio: float) -> Sampler:
    """The sampler the OTEL_TRACES_SAMPLER name stands for, with OTEL_TRACES_SAMPLER_ARG as its ratio."""
    root: Sampler
    if name.endswith("always_on"):
        root = ALWAYS_ON
    elif name.endswith("always_off"):
        root = ALWAYS_OFF
    else:
        root = TraceIdRatioBased(ratio)
    return ParentBased(root) if name.startswith("parentbased_") else root


def build_resource(identity: Identity) -> Resource:
    """service.name/version/namespace and deployment.environment; OTEL_* variables take precedence."""
    from_environment = OTELResourceDetector().detect().attributes
    defaults = {
        SERVICE_NAME: identity.name,
        SERVICE_VERSION: identity.version,
        SERVICE_NAMESPACE: identity.domain,
        DEPLOYMENT_ENVIRONMENT: DEFAULT_ENVIRONMENT,
    }
    return Resource.create({key: value for key, value in defaults.items() if key not in from_environment})


def build_tracer_provider(settings: RuntimeSettings, identity: Identity) -> TracerProvider | None:
    """A provider batching spans to the OTLP/HTTP endpoint, or None when OTEL_SDK_DISABLED is true."""
    if not settings.tracing_enabled:
        return None
    provider = TracerProvider(
        resource=build_resource(identity),
        sampler=build_sampler(settings.otel_traces_sampler, settings.otel_traces_sampler_arg),
        id_generator=PresetTraceIds(),
    )
    batch = None if os.environ.get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") else DEFAULT_EXPORT_BATCH_SIZE
    provider.add_span_processor(BatchSpanProcessor(SpanExporter(), max_export_batch_size=batch))
    return provider


def shutdown_tracer_provider(provider: TracerProvider, timeout_seconds: float) -> bool:
    """Flush and stop the provider, giving up after `timeout_seconds` (an unreachable collector must not
    hold the process past its grace period). True when it finished in time."""
    worker = threading.Thread(target=provider.shutdown, name="otel-shutdown", daemon=True)
    worker.start()
    worker.join(timeout_seconds)
    return not worker.is_alive()
