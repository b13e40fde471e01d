"""Prometheus metrics: RED series for every request, outbound call outcomes, and process metrics.

Each app gets its own registry (no global state), exposed at /metrics in the Prometheus text format.
"""

from bisect import bisect_left
from collections.abc import Iterable
from itertools import accumulate

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

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


class RedMetrics(Collector):
    """http_requests_total and http_request_duration_seconds by method, route template and status, and
    http_requests_in_flight.

    Requests are tallied in plain Python on the event loop, which serves every request (so no lock), and
    turned into Prometheus series only when /metrics is scraped: per request that is a dict look-up and
    three additions, a third of what updating prometheus_client's labelled children costs."""

    def __init__(self, registry: CollectorRegistry, buckets: Iterable[float]) -> None:
        self.in_flight = 0  # moved by the middleware
        # (method, route, status) -> [count, sum of seconds, one count per bucket, the last one +Inf]
        self._series: dict[_ChildKey, list[float]] = {}
        self._bounds = tuple(sorted(buckets))
        registry.register(self)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[(method, route, status)] = [0.0] * (len(self._bounds) + 3)
        series[0] += 1
        series[1] += seconds
        series[2 + bisect_left(self._bounds, seconds)] += 1

    def describe(self) -> Iterable[Metric]:
        return self._families([])

    def collect(self) -> Iterable[Metric]:
        return self._families(list(self._series.items()))

    def _families(self, series: list[tuple[_ChildKey, list[float]]]) -> list[Metric]:
        requests = CounterMetricFamily(
            "http_requests", "HTTP requests served, by method, route template and status code.", labels=REQUEST_LABELS
        )
        duration = HistogramMetricFamily(
            "http_request_duration_seconds",
            "Time to serve an HTTP request, by method, route template and status code.",
            labels=REQUEST_LABELS,
        )
        bounds = [str(float(bound)) for bound in self._bounds] + ["+Inf"]  # as Prometheus writes le
        for (method, route, status), values in series:
            labels = [method, route, str(status)]
            requests.add_metric(labels, values[0])
            cumulative = list(accumulate(values[2:]))
            duration.add_metric(labels, list(zip(bounds, cumulative, strict=True)), sum_value=values[1])
        in_flight = GaugeMetricFamily("http_requests_in_flight", "HTTP requests being served right now.")
        in_flight.add_metric([], self.in_flight)
        return [requests, duration, in_flight]


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
