"""Span batches to OTLP/protobuf bytes (an ExportTraceServiceRequest), written straight to the wire format.

The SDK's encoder builds a protobuf object for every span, attribute and value before serialising them: about
27 µs per span on the benchmark machine, all of it on the span exporter's thread, holding the GIL that the
request path needs (bench/results/service-*.md). This module writes the same bytes directly for the shape
nearly every span has: scalar attribute values, no events, no links, one resource. Any batch holding something
else (events, links, sequence values, integers beyond 64 bits, text that is not valid UTF-8) is handed whole to
the SDK's own `encode_spans`, so every span is exported either way. tests/test_otlp.py holds the two to the
same result: both decode to equal requests.
"""

from collections.abc import Mapping, Sequence
from struct import Struct
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanKind

_FIXED64 = Struct("<Q")
_FIXED32 = Struct("<I")
_DOUBLE = Struct("<d")
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_UINT64_MASK = (1 << 64) - 1

# opentelemetry.proto.trace.v1.SpanKind numbers: the SDK's SpanKind plus one (0 is UNSPECIFIED).
_KIND = {kind: bytes((0x30, kind.value + 1)) for kind in SpanKind}
# SpanFlags: the span says whether its parent is remote (HAS_IS_REMOTE, 0x100) and, if so, IS_REMOTE (0x200).
_FLAGS_LOCAL = b"\x85\x01" + _FIXED32.pack(0x100)
_FLAGS_REMOTE = b"\x85\x01" + _FIXED32.pack(0x300)


class _NotLean(Exception):
    """The batch holds something only the SDK's encoder writes."""


_ONE_BYTE = [bytes((value,)) for value in range(0x80)]


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field (string, bytes or message) with a one-byte tag."""
    size = len(payload)
    return _ONE_BYTE[tag] + (_ONE_BYTE[size] if size < 0x80 else _varint(size)) + payload


def _any_value(value: Any) -> bytes:
    """opentelemetry.proto.common.v1.AnyValue for a scalar (its oneof field is written even when zero)."""
    if isinstance(value, str):
        return _field(0x0A, value.encode())
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise _NotLean
        return b"\x18" + _varint(value & _UINT64_MASK)
    if isinstance(value, float):
        return b"\x21" + _DOUBLE.pack(value)
    if isinstance(value, bytes):
        return _field(0x3A, value)
    if value is None:
        return b""
    raise _NotLean


def _key_value(key: str, value: Any) -> bytes:
    """KeyValue: the key (field 1, left out when empty) and the AnyValue (field 2, always written)."""
    return (_field(0x0A, key.encode()) if key else b"") + _field(0x12, _any_value(value))


def _attributes(tag: int, attributes: Mapping[str, Any] | None) -> bytes:
    """Repeated KeyValue under `tag`."""
    if not attributes:
        return b""
    return b"".join(_field(tag, _key_value(key, value)) for key, value in attributes.items())


class _SpanAttributes:
    """A span's attributes as repeated KeyValue (Span field 9). Services repeat the same few pairs (method,
    route, status, port...), so each pair's bytes are kept once made, up to a bound. Only text, integers and
    booleans are kept: floats compare equal across different bytes (0.0 and -0.0)."""

    LIMIT = 4096
    KEPT = frozenset({str, int, bool})

    def __init__(self) -> None:
        self._made: dict[tuple[str, type, Any], bytes] = {}

    def encoded(self, attributes: Mapping[str, Any] | None) -> bytes:
        if not attributes:
            return b""
        made = self._made
        out = []
        for key, value in attributes.items():
            kind = type(value)
            if kind not in self.KEPT:
                out.append(_field(0x4A, _key_value(key, value)))
                continue
            pair = (key, kind, value)
            field = made.get(pair)
            if field is None:
                field = _field(0x4A, _key_value(key, value))
                if len(made) < self.LIMIT:
                    made[pair] = field
            out.append(field)
        return b"".join(out)


_SPAN_ATTRIBUTES = _SpanAttributes()


def _span(span: ReadableSpan) -> bytes:
    if span.events or span.links:
        raise _NotLean
    context = span.context
    if context is None:
        raise _NotLean
    parts = [b"\x0a\x10", context.trace_id.to_bytes(16, "big"), b"\x12\x08", context.span_id.to_bytes(8, "big")]
    if context.trace_state:
        parts.append(_field(0x1A, ",".join(f"{key}={value}" for key, value in context.trace_state.items()).encode()))
    parent = span.parent
    if parent is not None:
        parts += (b"\x22\x08", parent.span_id.to_bytes(8, "big"))
    if span.name:
        parts.append(_field(0x2A, span.name.encode()))
    parts.append(_KIND[span.kind])
    if span.start_time:
        parts += (b"\x39", _FIXED64.pack(span.start_time))
    if span.end_time:
        parts += (b"\x41", _FIXED64.pack(span.end_time))
    parts.append(_SPAN_ATTRIBUTES.encoded(span.attributes))
    if span.dropped_attributes:
        parts += (b"\x50", _varint(span.dropped_attributes))
    if span.dropped_events:
        parts += (b"\x60", _varint(span.dropped_events))
    if span.dropped_links:
        parts += (b"\x70", _varint(span.dropped_links))
    status = span.status
    code = status.status_code.value
    message = status.description
    status_body = _field(0x12, message.encode()) if message else b""
    if code:
        status_body += b"\x18" + _varint(code)
    parts.append(_field(0x7A, status_body))
    parts.append(_FLAGS_REMOTE if parent is not None and parent.is_remote else _FLAGS_LOCAL)
    return b"".join(parts)


def _scope(scope: InstrumentationScope | None) -> bytes:
    """InstrumentationScope (ScopeSpans field 1)."""
    if scope is None:
        return b""
    out = _field(0x0A, scope.name.encode()) if scope.name else b""
    if scope.version:
        out += _field(0x12, scope.version.encode())
    return out + _attributes(0x1A, scope.attributes)


class _Resources:
    """The encoded Resource of each resource object seen (a process has one or two)."""

    def __init__(self) -> None:
        self._encoded: dict[int, tuple[Resource, bytes]] = {}

    def encoded(self, resource: Resource) -> bytes:
        known = self._encoded.get(id(resource))
        if known is not None and known[0] is resource:
            return known[1]
        encoded = _attributes(0x0A, resource.attributes)
        if len(self._encoded) < 16:
            self._encoded[id(resource)] = (resource, encoded)
        return encoded


_RESOURCES = _Resources()


def _encode(spans: Sequence[ReadableSpan]) -> bytes:
    resource = spans[0].resource
    by_scope: dict[InstrumentationScope | None, list[bytes]] = {}
    for span in spans:
        if span.resource is not resource:
            raise _NotLean
        by_scope.setdefault(span.instrumentation_scope or None, []).append(_field(0x12, _span(span)))
    scope_spans = []
    for scope, encoded in by_scope.items():
        schema = scope.schema_url if scope is not None else None
        body = _field(0x0A, _scope(scope)) + b"".join(encoded) + (_field(0x1A, schema.encode()) if schema else b"")
        scope_spans.append(_field(0x12, body))
    resource_spans = _field(0x0A, _RESOURCES.encoded(resource)) + b"".join(scope_spans)
    if resource.schema_url:
        resource_spans += _field(0x1A, resource.schema_url.encode())
    return _field(0x0A, resource_spans)


def encode_lean(spans: Sequence[ReadableSpan]) -> bytes | None:
    """The serialised request written directly, or None when the batch needs the SDK's encoder."""
    if not spans:
        return b""
    try:
        return _encode(spans)
    except (_NotLean, UnicodeEncodeError):
        return None


def encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """The serialised ExportTraceServiceRequest for `spans`: the same message the SDK's encoder makes."""
    lean = encode_lean(spans)
    return lean if lean is not None else bytes(sdk_encode_spans(spans).SerializePartialToString())
