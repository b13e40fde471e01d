"""traces.* and propagation.*: spans at the OTLP receiver, their names and resource, and W3C trace context
continued inbound and carried outbound, sampled or not."""

from groundwork.conform.contract import PROBE_PATHS
from groundwork.conform.otlp import SPAN_KIND_SERVER, Span
from groundwork.conform.session import ENVIRONMENT, Session, Traffic

CLAUSES = ("traces.export", "traces.span-name", "traces.resource", "propagation.inbound", "propagation.outbound")
EXPORT_WAIT_SECONDS = 10.0
RESOURCE_KEYS = ("service.name", "service.version", "service.namespace", "deployment.environment")


def _server(spans: list[Span], trace_id: str) -> list[Span]:
    return [s for s in spans if s.trace_id == trace_id and s.kind == SPAN_KIND_SERVER]


def check_traces(session: Session, traffic: Traffic) -> None:
    assert session.receiver is not None
    rec = session.recorder
    receiver = session.receiver
    # The root request went last: once its server span is in, an exported unsampled span would be too.
    root_traces = {traffic.sampled_trace, traffic.unsampled_trace}

    def done(spans: list[Span]) -> bool:
        servers = {s.trace_id for s in spans if s.kind == SPAN_KIND_SERVER and s.name.endswith(traffic.root_path)}
        return traffic.sampled_trace in servers and bool(servers - root_traces)

    spans = receiver.wait_for(done, EXPORT_WAIT_SECONDS)
    server = _server(spans, traffic.sampled_trace)
    types = ", ".join(sorted(receiver.content_types)) or "nothing"
    if not rec.check(
        "traces.export",
        bool(server),
        f"{len(spans)} spans received ({types}); server span in the inbound trace: {'yes' if server else 'no'}",
    ):
        for clause in ("traces.span-name", "traces.resource", "propagation.inbound"):
            rec.failed(clause, "no server span was exported (see traces.export)")
        return
    span = server[0]
    expected = f"GET {traffic.root_path}"
    probes = [s.name for s in spans if any(s.name.endswith(f" {path}") for path in PROBE_PATHS)]
    raw = [s.name for s in spans if traffic.unmatched_path in s.name]
    ok = span.name == expected and not probes and not raw
    evidence = f"server span {span.name!r} (expected {expected!r})"
    if probes:
        evidence += f"; probes traced: {sorted(set(probes))}"
    if raw:
        evidence += f"; raw path in a span name: {raw[0]!r}"
    rec.check("traces.span-name", ok, evidence)

    resource = span.resource
    missing = [key for key in RESOURCE_KEYS if not resource.get(key)]
    env = resource.get("deployment.environment")
    ok = not missing and env == ENVIRONMENT and resource.get("service.name") == session.service_name
    evidence = ", ".join(f"{key}={resource.get(key)!r}" for key in RESOURCE_KEYS)
    if session.service_name and resource.get("service.name") != session.service_name:
        evidence += f"; logs say service {session.service_name!r}"
    rec.check("traces.resource", ok, evidence)

    leaked = _server(spans, traffic.unsampled_trace)
    ok = span.parent_span_id == traffic.sampled_parent and not leaked
    evidence = f"sampled: parent {span.parent_span_id or 'none'} (sent {traffic.sampled_parent})"
    evidence += f"; unsampled: {len(leaked)} spans exported"
    rec.check("propagation.inbound", ok, evidence)


def check_outbound_propagation(session: Session, traffic: Traffic) -> None:
    rec = session.recorder
    if not session.has_chain:
        rec.not_applicable("propagation.outbound", "no downstream, or no GET /v1/chain hook to call one")
        return
    downstream = next(iter(session.downstreams.values()))
    headers = [a.traceparent or "" for a in downstream.attempts]
    sampled = [h for h in headers if h[3:35] == traffic.sampled_trace]
    unsampled = [h for h in headers if h[3:35] == traffic.unsampled_trace]
    problems = []
    if not sampled or not sampled[0].endswith("-01"):
        problems.append(f"sampled call carried {sampled[:1] or 'no traceparent in its trace'}")
    elif sampled[0][36:52] == traffic.sampled_parent:
        problems.append("outbound parent is the caller's span, not the service's own")
    if not unsampled or not unsampled[0].endswith("-00"):
        problems.append(f"unsampled call carried {unsampled[:1] or 'no traceparent in its trace'}")
    evidence = "; ".join(problems) or f"sampled {sampled[0]}; unsampled {unsampled[0]}"
    rec.check("propagation.outbound", not problems, evidence)
