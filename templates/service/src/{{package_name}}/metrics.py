"""Prometheus metrics: RED series for every request, outbound call outcomes, and process metrics.

Each app gets its own registry (no global state), exposed at /metrics in the Prometheus text format.
"""

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

# Seconds; fine-grained at the low end where a healthy service's requests are.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUEST_LABELS = ("method", "route", "status")
UNMATCHED_ROUTE = "unmatched"

_ChildKey = tuple[str, str, int]

__all__ = ["CONTENT_TYPE_LATEST", "ClientMetrics", "RedMetrics", "build_registry", "render"]


def build_registry() -> CollectorRegistry:
    """A fresh registry with the process_*, python_info and python_gc_* collectors."""
    # No *_created series: they double the series count for nothing. (Untyped in prometheus_client.)
    disable_created_metrics()  # type: ignore[no-untyped-call,unused-ignore]
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


class RedMetrics:
    """http_requests_total, http_request_duration_seconds (by method, route template and status) and
    http_requests_in_flight. Labelled children are cached so a request costs two dict look-ups."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests",
            "HTTP requests served, by method, route template and status code.",
            REQUEST_LABELS,
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to serve an HTTP request, by method, route template and status code.",
            REQUEST_LABELS,
            registry=registry,
            buckets=DURATION_BUCKETS,
        )
        # A plain counter the middleware moves (one event loop: no lock needed), read at scrape time.
        self.in_flight = 0
        Gauge("http_requests_in_flight", "HTTP requests being served right now.", registry=registry).set_function(
            lambda: self.in_flight
        )
        self._children: dict[_ChildKey, tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            status_label = str(status)
            children = (
                self.requests.labels(method, route, status_label),
                self.duration.labels(method, route, status_label),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class ClientMetrics:
    """Outbound calls per downstream: downstream_requests_total{downstream, outcome} counts each attempt
    as ok, error, or rejected (the circuit breaker was open, no network attempt made), and
    downstream_circuit_open{downstream} is 1 while a breaker is open."""

    OK = "ok"
    ERROR = "error"
    REJECTED = "rejected"

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "downstream_requests",
            "Outbound call attempts by downstream and outcome (ok, error, rejected by an open breaker).",
            ("downstream", "outcome"),
            registry=registry,
        )
        self.circuit_open = Gauge(
            "downstream_circuit_open",
            "1 while the circuit breaker towards a downstream is open, else 0.",
            ("downstream",),
            registry=registry,
        )

    def register(self, downstream: str) -> None:
        """Create a downstream's series at zero so dashboards and alerts see them before any traffic."""
        for outcome in (self.OK, self.ERROR, self.REJECTED):
            self.requests.labels(downstream, outcome)
        self.circuit_open.labels(downstream).set(0)

    def count(self, downstream: str, outcome: str) -> None:
        self.requests.labels(downstream, outcome).inc()

    def set_circuit_open(self, downstream: str, is_open: bool) -> None:
        self.circuit_open.labels(downstream).set(1 if is_open else 0)
