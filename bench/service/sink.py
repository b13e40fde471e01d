"""A tiny OTLP/HTTP trace sink for the service benchmark (loopback only).

POST /v1/traces: decodes the ExportTraceServiceRequest (protobuf, gzip or not), answers 200, and counts the
spans by service.name and span kind; it keeps the names and attribute keys of server spans, and the details
of any span whose trace id starts with a marker prefix (the benchmark's own probe requests).
GET /stats: all of that as JSON.

Run with a Python that has opentelemetry-proto (the rendered service's venv has it):
    python bench/service/sink.py PORT
It prints "ready" once listening.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

MARKER = "0bec"  # trace ids the benchmark sends itself start with this
KINDS = {value: name.removeprefix("SPAN_KIND_").lower() for name, value in Span.SpanKind.items()}
RESPONSE = ExportTraceServiceResponse().SerializeToString()


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.spans: Counter[str] = Counter()  # "service/kind" -> spans
        self.server_names: dict[str, Counter[str]] = defaultdict(Counter)
        self.server_attributes: dict[str, set[str]] = defaultdict(set)
        self.marked: list[dict[str, Any]] = []

    def add(self, request: ExportTraceServiceRequest) -> None:
        with self.lock:
            self.requests += 1
            for resource_spans in request.resource_spans:
                resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
                service = str(resource.get("service.name", "?"))
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        kind = KINDS.get(span.kind, str(span.kind))
                        self.spans[f"{service}/{kind}"] += 1
                        if kind == "server":
                            self.server_names[service][span.name] += 1
                            self.server_attributes[service].update(kv.key for kv in span.attributes)
                        trace_id = span.trace_id.hex()
                        if trace_id.startswith(MARKER):
                            self.marked.append(
                                {
                                    "service": service,
                                    "resource": resource,
                                    "name": span.name,
                                    "kind": kind,
                                    "trace_id": trace_id,
                                    "span_id": span.span_id.hex(),
                                    "parent_span_id": span.parent_span_id.hex(),
                                    "attributes": {kv.key: _value(kv.value) for kv in span.attributes},
                                }
                            )

    def as_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "spans": dict(self.spans),
                "server_names": {service: dict(names) for service, names in self.server_names.items()},
                "server_attributes": {service: sorted(keys) for service, keys in self.server_attributes.items()},
                "marked": list(self.marked),
            }


def _value(value: Any) -> Any:
    which = value.WhichOneof("value")
    return getattr(value, which) if which else None


STATS = Stats()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the exporter's session expects

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/traces":
            self._answer(404, b"", "text/plain")
            return
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        STATS.add(request)
        self._answer(200, RESPONSE, "application/x-protobuf")

    def do_GET(self) -> None:
        if self.path != "/stats":
            self._answer(404, b"", "text/plain")
            return
        self._answer(200, json.dumps(STATS.as_json()).encode(), "application/json")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
