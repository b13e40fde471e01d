"""The test OTLP/HTTP traces receiver: POST /v1/traces as protobuf or JSON (optionally gzip), decoded into
flat spans the checks can query."""

import gzip
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from groundwork.conform.loopback import LoopbackServer, QuietHandler

TRACES_PATH = "/v1/traces"
SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3


@dataclass(frozen=True)
class Span:
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    resource: dict[str, Any]


class OtlpReceiver(LoopbackServer):
    """Keeps every span received; `content_types` records what the exporter sent."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.content_types: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.read_body()
                if self.path.split("?")[0] != TRACES_PATH:  # metrics or logs exporters: not the suite's business
                    self.reply(404, b"{}")
                    return
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                content_type = (self.headers.get("content-type") or "").split(";")[0].strip()
                try:
                    spans = _decode_json(body) if content_type == "application/json" else _decode_protobuf(body)
                except Exception:  # a malformed export is the exporter's failure: answer 400, keep nothing
                    self.reply(400, b"{}")
                    return
                receiver._add(content_type, spans)
                if content_type == "application/json":
                    self.reply(200, b"{}")
                else:
                    self.reply(200, b"", "application/x-protobuf")

        super().__init__(Handler)

    def _add(self, content_type: str, spans: list[Span]) -> None:
        with self._lock:
            self.content_types.add(content_type)
            self.spans.extend(spans)

    def snapshot(self) -> list[Span]:
        with self._lock:
            return list(self.spans)

    def wait_for(self, predicate: Callable[[list[Span]], bool], timeout: float) -> list[Span]:
        """The spans once `predicate(spans)` holds, or whatever arrived within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            spans = self.snapshot()
            if predicate(spans) or time.monotonic() > deadline:
                return spans
            time.sleep(0.05)


def _decode_protobuf(body: bytes) -> list[Span]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {}
        for item in resource_spans.resource.attributes:
            kind = item.value.WhichOneof("value")
            resource[item.key] = getattr(item.value, kind) if kind else None
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    Span(
                        span.name,
                        span.kind,
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        span.parent_span_id.hex(),
                        resource,
                    )
                )
    return spans


def _json_value(value: dict[str, Any]) -> Any:
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in value:
            return value[key]
    return None


def _decode_json(body: bytes) -> list[Span]:
    document = json.loads(body)
    spans = []
    for resource_spans in document.get("resourceSpans", []):
        attributes = resource_spans.get("resource", {}).get("attributes", [])
        resource = {item["key"]: _json_value(item.get("value", {})) for item in attributes}
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                spans.append(
                    Span(
                        span.get("name", ""),
                        int(span.get("kind", 0)),
                        str(span.get("traceId", "")).lower(),
                        str(span.get("spanId", "")).lower(),
                        str(span.get("parentSpanId", "") or "").lower(),
                        resource,
                    )
                )
    return spans
