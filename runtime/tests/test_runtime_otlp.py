"""The direct OTLP encoder writes exactly the request the SDK's encoder writes, or hands the batch to it."""

import random
from collections.abc import Callable, Sequence

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
    set_span_in_context,
)
from opentelemetry.util.types import AnyValue

from groundwork_runtime.identity import Identity
from groundwork_runtime.otlp import encode_lean, encode_spans
from groundwork_runtime.tracing import build_resource

IDENTITY = Identity("svc", "shop", "1.2.3")

REMOTE_PARENT = SpanContext(
    0x0AF7651916CD43DD8448EB211C80319C,
    0xB7AD6B7169203331,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
    trace_state=TraceState([("vendor", "opaque"), ("other", "x-1")]),
)


class Recorder:
    def __init__(self, resource: Resource | None = None, limits: SpanLimits | None = None) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(resource=resource or build_resource(IDENTITY), span_limits=limits)
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def finished(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())


def sdk_request(spans: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
    return sdk_encode_spans(spans)


def decoded(data: bytes) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    request.ParseFromString(data)
    return request


def test_a_typical_server_span_is_written_directly_and_decodes_to_the_sdk_request() -> None:
    recorder = Recorder()
    tracer = recorder.provider.get_tracer("svc", "1.2.3")
    span = tracer.start_span("GET /v1/items/{item_id}", kind=SpanKind.SERVER)
    span.set_attributes(
        {
            "http.request.method": "GET",
            "url.path": "/v1/items/7",
            "url.scheme": "http",
            "http.route": "/v1/items/{item_id}",
            "http.response.status_code": 200,
            "server.port": 8000,
            "user_agent.original": "probe/1.0",
        }
    )
    span.end()
    spans = recorder.finished()

    lean = encode_lean(spans)

    assert lean is not None, "a plain server span must not need the SDK's encoder"
    request = decoded(lean)
    assert request == sdk_request(spans)
    [span_message] = request.resource_spans[0].scope_spans[0].spans
    assert span_message.name == "GET /v1/items/{item_id}"
    assert {item.key: item.value for item in span_message.attributes}["server.port"].int_value == 8000


@pytest.mark.parametrize(
    "shape",
    [
        "root",
        "remote-parent-with-trace-state",
        "local-child",
        "error-status-with-message",
        "ok-status",
        "every-kind",
        "scalar-values",
        "unicode",
        "two-scopes",
        "dropped-attributes",
        "no-attributes",
        "repeated-pairs",
    ],
)
def test_each_lean_shape_equals_the_sdk_encoding(shape: str) -> None:
    recorder = Recorder(limits=SpanLimits(max_span_attributes=2) if shape == "dropped-attributes" else None)
    tracer = recorder.provider.get_tracer("scope-a", "0.1", schema_url="https://opentelemetry.io/schemas/1.26.0")
    if shape == "root":
        tracer.start_span("root").end()
    elif shape == "remote-parent-with-trace-state":
        parent = set_span_in_context(NonRecordingSpan(REMOTE_PARENT))
        tracer.start_span("child", context=parent, kind=SpanKind.SERVER).end()
    elif shape == "local-child":
        with tracer.start_as_current_span("outer"):
            tracer.start_span("inner", kind=SpanKind.CLIENT).end()
    elif shape == "error-status-with-message":
        span = tracer.start_span("failing")
        span.set_status(Status(StatusCode.ERROR, "downstream timed out"))
        span.end()
    elif shape == "ok-status":
        span = tracer.start_span("fine")
        span.set_status(Status(StatusCode.OK))
        span.end()
    elif shape == "every-kind":
        for kind in SpanKind:
            tracer.start_span(kind.name, kind=kind).end()
    elif shape == "scalar-values":
        values: dict[str, AnyValue] = {
            "s": "",
            "t": True,
            "f": False,
            "zero": 0,
            "neg": -(2**63),
            "max": 2**63 - 1,
            "pi": 3.14,
            "nz": -0.0,
        }
        tracer.start_span("scalars", attributes=values).end()
    elif shape == "unicode":
        tracer.start_span("résumé ✓ 名前", attributes={"ключ": "значение ✓", "emoji": "🚀" * 40}).end()
    elif shape == "two-scopes":
        tracer.start_span("a").end()
        recorder.provider.get_tracer("scope-b").start_span("b").end()
        tracer.start_span("a-again").end()
    elif shape == "dropped-attributes":
        tracer.start_span("many", attributes={f"k{i}": i for i in range(5)}).end()
    elif shape == "no-attributes":
        tracer.start_span("", attributes={}).end()
    elif shape == "repeated-pairs":  # pairs equal in Python, different on the wire
        for value in (0.0, -0.0, 1, True, 1.0, "1", 0, False):
            tracer.start_span("pair", attributes={"x": value}).end()
    spans = recorder.finished()

    lean = encode_lean(spans)

    assert lean is not None
    assert decoded(lean) == sdk_request(spans)


@pytest.mark.parametrize("shape", ["event", "link", "sequence-value", "lone-surrogate"])
def test_other_shapes_go_to_the_sdk_encoder_and_still_encode_equal(shape: str) -> None:
    recorder = Recorder()
    tracer = recorder.provider.get_tracer("scope-a")
    tracer.start_span("plain").end()
    if shape == "event":
        span = tracer.start_span("with-event")
        span.add_event("retry", {"attempt": 2})
        span.end()
    elif shape == "link":
        tracer.start_span("with-link", links=[Link(REMOTE_PARENT, {"reason": "batch"})]).end()
    elif shape == "sequence-value":
        tracer.start_span("with-list", attributes={"ids": (1, 2, 3)}).end()
    elif shape == "lone-surrogate":
        tracer.start_span("bad-\ud800-text").end()
    spans = recorder.finished()

    assert encode_lean(spans) is None
    if shape != "lone-surrogate":  # the SDK's encoder refuses it too; the batch fails the same way either way
        assert decoded(encode_spans(spans)) == sdk_request(spans)


def test_random_batches_equal_the_sdk_encoding() -> None:
    chooser = random.Random(20261125)
    recorder = Recorder(resource=Resource.create({"service.name": "svc", "k8s.pod.uid": "ü-1", "replicas": 3}))
    tracers = [recorder.provider.get_tracer(name) for name in ("a", "b")]
    scalars: list[Callable[[], AnyValue]] = [
        lambda: chooser.choice(["", "GET", "/v1/x", "ü", "x" * chooser.randint(0, 300)]),
        lambda: chooser.randint(-(2**63), 2**63 - 1),
        lambda: chooser.randint(0, 300),
        lambda: chooser.random() * 10 ** chooser.randint(-5, 5),
        lambda: chooser.random() < 0.5,
    ]
    for index in range(300):
        tracer = chooser.choice(tracers)
        attributes = {f"key.{chooser.randint(0, 40)}": chooser.choice(scalars)() for _ in range(chooser.randint(0, 9))}
        parent = set_span_in_context(NonRecordingSpan(REMOTE_PARENT)) if chooser.random() < 0.3 else None
        span = tracer.start_span(f"span-{index}", context=parent, kind=chooser.choice(list(SpanKind)))
        span.set_attributes(attributes)
        if chooser.random() < 0.2:
            span.set_status(Status(StatusCode.ERROR, chooser.choice([None, "boom", "ü"])))
        span.end()
    spans = recorder.finished()

    position = 0
    while position < len(spans):
        size = chooser.randint(1, 70)
        batch = spans[position : position + size]
        position += size
        lean = encode_lean(batch)
        assert lean is not None
        assert decoded(lean) == sdk_request(batch)


def test_an_empty_batch_is_an_empty_request() -> None:
    assert encode_spans([]) == b""
    assert decoded(b"") == sdk_request([])
