"""Acceptance 3: two rendered services under uvicorn on loopback, alpha calling beta. Probes, RED metrics,
one trace across both services at an OTLP/HTTP receiver, and alpha's access line carrying its trace id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.fleet import Fleet, ServiceProcess, metric_value
from support.otlp import SPAN_KIND_CLIENT, SPAN_KIND_SERVER, OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.slow


def one_trace_across_both(spans: list[ReceivedSpan]) -> bool:
    return any(
        span.service == "beta" and span.name == "GET /v1/chain" and span.kind == SPAN_KIND_SERVER for span in spans
    ) and any(span.service == "alpha" and span.name == "GET /v1/chain" for span in spans)


def test_alpha_calls_beta_with_probes_metrics_one_trace_and_logs(fleet: Fleet, tmp_path: Path) -> None:
    with OtlpReceiver() as receiver:
        beta = ServiceProcess(fleet.beta, tmp_path, env=receiver.tracing_env()).start()
        alpha_env = {**receiver.tracing_env(), "APP_DOWNSTREAMS": json.dumps({"beta": beta.url})}
        alpha = ServiceProcess(fleet.alpha, tmp_path, env=alpha_env).start()
        try:
            assert alpha.get("/livez").json() == {"status": "ok"}
            ready = alpha.get("/readyz")
            assert ready.status_code == 200
            assert ready.json() == {"status": "ready", "checks": {"beta": "ok"}}

            chain = alpha.get("/v1/chain")
            assert chain.status_code == 200
            assert chain.json() == {"service": "alpha", "downstreams": {"beta": {"service": "beta", "downstreams": {}}}}

            metrics = alpha.get("/metrics").text
            labels = {"method": "GET", "route": "/v1/chain", "status": "200"}
            assert metric_value(metrics, "http_requests_total", **labels) == 1
            assert metric_value(metrics, "http_request_duration_seconds_count", **labels) == 1
            assert metric_value(metrics, "http_requests_in_flight") == 1
            assert metric_value(metrics, "downstream_requests_total", downstream="beta", outcome="ok") == 1
            assert metric_value(metrics, "process_resident_memory_bytes") is not None

            spans = receiver.wait_for(one_trace_across_both)
            [entry] = [s for s in spans if s.service == "alpha" and s.name == "GET /v1/chain"]
            [outbound] = [s for s in spans if s.service == "alpha" and s.kind == SPAN_KIND_CLIENT]
            [exit_] = [s for s in spans if s.service == "beta" and s.name == "GET /v1/chain"]
            assert entry.trace_id == outbound.trace_id == exit_.trace_id
            assert outbound.parent_span_id == entry.span_id
            assert exit_.parent_span_id == outbound.span_id
            assert entry.attributes["http.route"] == "/v1/chain"
            assert entry.attributes["http.response.status_code"] == 200
            assert not [s for s in spans if s.name in ("GET /livez", "GET /readyz", "GET /metrics")]

            [line] = [
                line for line in alpha.log_lines() if line.get("event") == "request" and line["route"] == "/v1/chain"
            ]
            assert line["trace_id"] == entry.trace_id
            assert line["span_id"] == entry.span_id
            assert (line["service"], line["status"], line["method"]) == ("alpha", 200, "GET")

            assert beta.stop() is not None, "beta stopped on SIGTERM"
            not_ready = alpha.get("/readyz")
            assert not_ready.status_code == 503
            body = not_ready.json()
            assert body["status"] == "not ready"
            assert body["failed"] == ["beta"]
            assert alpha.get("/livez").status_code == 200
        finally:
            alpha.stop()
            beta.stop()
