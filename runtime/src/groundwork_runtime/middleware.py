"""One pure-ASGI middleware for the three signals of every request: a server span, RED metrics and the
JSON access line.

It is written for the hot path. W3C context is extracted straight from the raw ASGI headers; the span is
started through the SDK tracer, so an unsampled request costs a NonRecordingSpan (its context still
propagates to logs and outbound calls) and attributes are only set when the span records; requests are
tallied in plain Python and become Prometheus series only when scraped; the access line is rendered with
orjson and written by a prebuilt structlog logger. Each costs a few microseconds per request.
"""

from collections.abc import Iterable
from contextvars import Token
from random import getrandbits
from time import perf_counter

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import get_global_textmap
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import AccessLog
from .metrics import UNMATCHED_ROUTE, RedMetrics
from .tracing import PresetTraceIds

# Low 64 bits of a trace id: what TraceIdRatioBased compares with its bound (W3C random trace-id bits).
_TRACE_ID_LOW_BITS = (1 << 64) - 1
# An unsampled root: flags as the SDK sets them for a random trace id that was not sampled.
_UNSAMPLED_RANDOM = TraceFlags(TraceFlags.DEFAULT | TraceFlags.RANDOM_TRACE_ID)

Headers = Iterable[tuple[bytes, bytes]]

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
OTHER_METHOD = "_OTHER"
# Probes and scrapes are counted and logged, but not traced: they would drown the traces that matter.
UNTRACED_PATHS = frozenset({"/livez", "/readyz", "/startupz", "/metrics"})


class _HeaderGetter(Getter[Headers]):
    """Reads propagation headers from ASGI's list of (lower-case name, value) byte pairs."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        wanted = key.lower().encode("latin-1")
        values = [value.decode("latin-1") for name, value in carrier if name == wanted]
        return values or None

    def keys(self, carrier: Headers) -> list[str]:
        return [name.decode("latin-1") for name, _ in carrier]


_GETTER = _HeaderGetter()
# The parent of a request that carries no trace context: an explicit empty context is cheaper for the SDK
# to look into than the current one.
_NO_PARENT = otel_context.Context()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class TelemetryMiddleware:
    """Traces, measures and logs every HTTP request; each of the three is optional (None = off)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tracer: trace.Tracer | None,
        metrics: RedMetrics | None,
        access_log: AccessLog | None,
        root_sampling: tuple[PresetTraceIds, int] | None = None,
    ) -> None:
        """`root_sampling` (the provider's id generator and TraceIdRatioBased bound) lets the middleware
        decide root sampling itself: an unsampled root then costs no SDK call."""
        self.app = app
        self._tracer = tracer
        self._root_sampling = root_sampling
        self._metrics = metrics
        self._access_log = access_log
        self._propagator = get_global_textmap()
        # Header names the propagators read: a request carrying none of them skips extraction.
        self._propagation_headers = frozenset(name.lower().encode("latin-1") for name in self._propagator.fields)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        start = perf_counter()
        method = scope["method"]
        if method not in KNOWN_METHODS:
            method = OTHER_METHOD
        status = 500

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        span: trace.Span | None = None
        recording = False
        token: Token[otel_context.Context] | None = None
        if self._tracer is not None and scope["path"] not in UNTRACED_PATHS:
            headers = scope["headers"]
            parent = _NO_PARENT
            for name, _ in headers:
                if name in self._propagation_headers:
                    parent = self._propagator.extract(headers, getter=_GETTER)
                    break
            span = self._start_span(method, parent)
            recording = span.is_recording()
            token = otel_context.attach(trace.set_span_in_context(span, parent))

        metrics = self._metrics
        if metrics is not None:
            metrics.in_flight += 1
        try:
            await self.app(scope, receive, send_and_record_status)
        except BaseException as error:
            status = 500
            if recording and span is not None:
                span.record_exception(error)
            raise
        finally:
            elapsed = perf_counter() - start
            # The matched route's template: Starlette's router leaves the route in the scope.
            route: str = getattr(scope.get("route"), "path_format", None) or UNMATCHED_ROUTE
            if metrics is not None:
                metrics.in_flight -= 1
                metrics.observe(method, route, status, elapsed)
            log = self._access_log
            if span is not None:
                if recording:
                    _record(span, scope, method, route, status)
                span.end()
                if log is not None:
                    span_context = span.get_span_context()
                    log.request(
                        method,
                        route,
                        scope["path"],
                        status,
                        int(elapsed * 1_000_000) / 1000,
                        f"{span_context.trace_id:032x}",
                        f"{span_context.span_id:016x}",
                    )
            elif log is not None:
                log.request(method, route, scope["path"], status, int(elapsed * 1_000_000) / 1000)
            if token is not None:
                otel_context.detach(token)

    def _start_span(self, method: str, parent: otel_context.Context) -> trace.Span:
        tracer = self._tracer
        assert tracer is not None
        if self._root_sampling is None or parent is not _NO_PARENT:
            return tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
        ids, bound = self._root_sampling
        trace_id = getrandbits(128) or 1
        if trace_id & _TRACE_ID_LOW_BITS >= bound:
            span_id = getrandbits(64) or 1
            return NonRecordingSpan(SpanContext(trace_id, span_id, is_remote=False, trace_flags=_UNSAMPLED_RANDOM))
        preset = ids.preset.set(trace_id)
        try:
            return tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
        finally:
            ids.preset.reset(preset)


def _record(span: trace.Span, scope: Scope, method: str, route: str, status: int) -> None:
    """Name a recording span after its route and give it the HTTP semantic-convention attributes, in one
    call (each call into the SDK's attribute store costs a lock and a validation pass)."""
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
        "http.response.status_code": status,
    }
    if method == OTHER_METHOD:
        attributes["http.request.method_original"] = scope["method"]
    if route != UNMATCHED_ROUTE:
        span.update_name(f"{method} {route}")
        attributes["http.route"] = route
    server = scope.get("server")
    if server and server[1] is not None:
        attributes["server.port"] = int(server[1])
    user_agent = _header(scope, b"user-agent")
    if user_agent is not None:
        attributes["user_agent.original"] = user_agent
    span.set_attributes(attributes)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
