"""The platform contract's clauses, by id: what `groundwork conform` reports on. The same ids head the
clauses in docs/platform-contract.md (a test keeps the two equal)."""

CONTRACT_VERSION = "v1"

# id -> the clause in one line.
CLAUSES: dict[str, str] = {
    "probes.livez": 'GET /livez answers 200 {"status": "ok"}',
    "probes.readyz": 'GET /readyz answers 200 {"status": "ready", "checks": {...}} naming each declared dependency',
    "probes.readyz-dependency": 'a stopped dependency turns /readyz 503 naming it in "failed"; /livez stays 200',
    "probes.startupz": 'GET /startupz answers 200 {"status": "started"} once started',
    "metrics.exposition": "GET /metrics is Prometheus text with process_* series",
    "metrics.red": "http_requests_total (counter), http_request_duration_seconds (histogram) with exactly "
    "method, route, status, and http_requests_in_flight (gauge); every request counted, probes included",
    "metrics.route-template": 'route is the route template, "unmatched" for unmatched paths, never the raw path',
    "metrics.method-bounded": 'method is "_OTHER" for a method outside the standard set',
    "metrics.buckets": "the duration histogram's buckets are the platform's http_latency_buckets",
    "metrics.downstream": "downstream_requests_total{downstream, outcome} and downstream_circuit_open{downstream}",
    "logs.json": "every stdout line is a JSON object with timestamp (ISO 8601 UTC, ms), level, event, service",
    "logs.request-line": 'one event="request" line per request with method, route, path, status, duration_ms',
    "logs.trace-ids": "request lines carry trace_id (32 hex) and span_id (16 hex) of the exported server span",
    "traces.export": "spans reach the OTLP/HTTP endpoint named by OTEL_EXPORTER_OTLP_ENDPOINT",
    "traces.span-name": 'server spans are named "{method} {route}"; probes and /metrics are not traced',
    "traces.resource": "resource has service.name, service.version, service.namespace and deployment.environment "
    "from OTEL_RESOURCE_ATTRIBUTES",
    "propagation.inbound": "an inbound W3C traceparent is continued: sampled is exported in its trace, unsampled "
    "is not exported",
    "propagation.outbound": "outbound calls carry traceparent in the same trace with the same sampled flag",
    "outbound.timeout": "APP_HTTP_TIMEOUT_SECONDS bounds every outbound attempt",
    "outbound.retry-idempotent": "idempotent calls are retried APP_HTTP_RETRIES times on 503",
    "outbound.no-retry-post": "non-idempotent calls (POST) are attempted once",
    "outbound.circuit-breaker": "after APP_BREAKER_FAIL_MAX failures calls are rejected without a network attempt; "
    "after APP_BREAKER_RESET_SECONDS a call goes through and closes it",
    "outbound.pool-limit": "at most APP_HTTP_MAX_CONNECTIONS concurrent calls reach one downstream",
    "shutdown.readiness": 'after SIGTERM /readyz answers 503 naming "shutdown" (or the listener is closed)',
    "shutdown.drain": "on SIGTERM in-flight requests all finish and the process exits within "
    "APP_SHUTDOWN_GRACE_SECONDS",
    "config.listen": "the service listens where APP_HOST and APP_PORT say",
    "config.downstreams": "APP_DOWNSTREAMS moves declared downstreams; an undeclared name is refused at start",
    "config.switches": "APP_ACCESS_LOG=false and APP_METRICS_ENABLED=false turn the access line and /metrics off",
    "config.refuse-bad-value": "a bad APP_* value is refused at start: non-zero exit, one line naming the variable",
}

# The histogram buckets of http_request_duration_seconds: copier.yml's http_latency_buckets (a test keeps
# them equal; the wheel ships without copier.yml).
PLATFORM_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

# RFC 9110 methods plus PATCH: any other method is counted as _OTHER.
STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
OTHER_METHOD = "_OTHER"
UNMATCHED_ROUTE = "unmatched"
PROBE_PATHS = ("/livez", "/readyz", "/startupz", "/metrics")

# The demo routes both templates render (the contract's "Conformance hooks"): each calls /v1/chain on every
# declared downstream with its own method. Without them the outbound clauses are not applicable.
CHAIN_PATH = "/v1/chain"
HELLO_PATH = "/v1/hello"
