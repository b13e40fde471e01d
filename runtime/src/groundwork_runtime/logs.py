"""Logs: one JSON object per line on stdout, with trace_id and span_id whenever a span is current.

Keys (the platform contract): timestamp (ISO 8601, UTC), level, event, service, and inside a request
trace_id / span_id. structlog renders with orjson; the standard library's records (uvicorn, libraries) go
through the same processors so every line on stdout has the same shape.
"""

import logging
import sys
import time
from typing import BinaryIO

import orjson
import structlog
from opentelemetry import trace
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

_HANDLER_NAME = "json-stdout"
# structlog method names that are not level names.
_LEVEL_ALIASES = {"warn": "warning", "exception": "error", "msg": "info"}
# Libraries that log every outbound request at INFO: the client span and metrics already say it.
_CHATTY_LOGGERS = ("httpx", "httpcore")


def add_trace_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """trace_id (32 hex) and span_id (16 hex) of the current span, sampled or not."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


class AddService:
    """Adds the `service` key unless the line already has one."""

    def __init__(self, service: str) -> None:
        self._service = service

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", self._service)
        return event_dict


class Clock:
    """ISO 8601 UTC timestamps with milliseconds ("2026-01-31T12:00:00.123Z"). The string is made once per
    millisecond and reused: a busy service asks for it many times in each one."""

    def __init__(self) -> None:
        self._cache = (-1, "")  # (millisecond, its timestamp), replaced whole so threads never see a mix

    def now(self) -> str:
        millisecond = time.time_ns() // 1_000_000
        cached_millisecond, stamp = self._cache
        if millisecond != cached_millisecond:
            second, fraction = divmod(millisecond, 1000)
            stamp = f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(second))}.{fraction:03d}Z"
            self._cache = (millisecond, stamp)
        return stamp


class TimestampAndLevel:
    """`timestamp` and `level` in one processor (what TimeStamper and add_log_level do, for less)."""

    def __init__(self) -> None:
        self._clock = Clock()

    def __call__(self, _logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
        event_dict["timestamp"] = self._clock.now()
        event_dict["level"] = _LEVEL_ALIASES.get(method, method)
        return event_dict


def _shared_processors() -> list[Processor]:
    return [TimestampAndLevel(), add_trace_context]


def _orjson_renderer() -> structlog.processors.JSONRenderer:
    return structlog.processors.JSONRenderer(serializer=orjson.dumps)


def build_logger(service: str, level: str, stream: BinaryIO | None = None) -> FilteringBoundLogger:
    """The app's own logger: bound to `service`, filtering below `level`, writing bytes to stdout."""
    return _bound_logger(
        service,
        level,
        stream,
        [*_shared_processors(), structlog.processors.format_exc_info, _orjson_renderer()],
    )


class AccessLog:
    """Writes the access line, one per request: stamped by TimestampAndLevel (the processor every line goes
    through), rendered by orjson and written to the stream as one line.

    The bound-logger layer (context copy, keyword re-packing, processor loop) and BytesLogger's lock are
    skipped on purpose: this is the one line written on every request, only ever from the event loop's
    thread, and those layers alone would cost about as much as the rest of the line. The line has the keys
    and shape of every other line."""

    def __init__(self, service: str, stream: BinaryIO | None = None) -> None:
        self._service = service
        output = stream if stream is not None else sys.stdout.buffer
        self._write = output.write
        self._flush = output.flush
        self._stamp = TimestampAndLevel()

    def request(
        self,
        method: str,
        route: str,
        path: str,
        status: int,
        duration_ms: float,
        trace_id: str | None = None,
        span_id: str | None = None,
    ) -> None:
        event: EventDict = {
            "service": self._service,
            "event": "request",
            "method": method,
            "route": route,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
        }
        if trace_id is not None:
            event["trace_id"] = trace_id
            event["span_id"] = span_id
        self._write(orjson.dumps(self._stamp(None, "info", event), default=str, option=orjson.OPT_APPEND_NEWLINE))
        self._flush()


def build_access_log(service: str, level: str, stream: BinaryIO | None = None) -> AccessLog | None:
    """The access log, or None when APP_LOG_LEVEL is above INFO (the access line is an INFO line)."""
    return AccessLog(service, stream) if logging.getLevelName(level) <= logging.INFO else None


def _bound_logger(
    service: str, level: str, stream: BinaryIO | None, processors: list[Processor]
) -> FilteringBoundLogger:
    proxy = structlog.wrap_logger(
        structlog.BytesLogger(stream),
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
    )
    logger: FilteringBoundLogger = proxy.bind(service=service)
    return logger


class _StdoutHandler(logging.Handler):
    """Writes each record as a line to whatever sys.stdout is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            stream = sys.stdout
            stream.write(line + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def configure_logging(service: str, level: str) -> None:
    """Route structlog.get_logger() and the standard library's loggers to JSON lines on stdout."""
    structlog.configure(
        processors=[
            AddService(service),
            *_shared_processors(),
            structlog.processors.format_exc_info,
            _orjson_renderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.BytesLoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[AddService(service), structlog.stdlib.add_logger_name, *_shared_processors()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = _StdoutHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))
