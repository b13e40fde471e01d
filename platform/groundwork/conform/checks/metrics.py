"""metrics.*: names, types, labels, route templates, bounded methods and buckets of the RED series."""

from groundwork.conform import client as http
from groundwork.conform import prom
from groundwork.conform.contract import OTHER_METHOD, PLATFORM_BUCKETS, STANDARD_METHODS, UNMATCHED_ROUTE
from groundwork.conform.session import Session, Traffic

CLAUSES = ("metrics.exposition", "metrics.red", "metrics.route-template", "metrics.method-bounded", "metrics.buckets")
RED_LABELS = {"method", "route", "status"}
REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds"
IN_FLIGHT = "http_requests_in_flight"


def scrape(url: str) -> prom.Exposition | str:
    """The parsed exposition, or why there is none."""
    try:
        response = http.get(f"{url}/metrics")
    except http.TransportError as error:
        return str(error)
    if response.status != 200:
        return f"/metrics answered {response.status}"
    try:
        return prom.parse(response.body.decode())
    except (prom.ExpositionError, UnicodeDecodeError) as error:
        return f"/metrics is not Prometheus text: {error}"


def check_metrics(session: Session, before: prom.Exposition | str, traffic: Traffic) -> None:
    rec = session.recorder
    after = scrape(session.url)
    if isinstance(after, str):
        for clause in CLAUSES:
            rec.failed(clause, after)
        return
    processes = sorted({s.name for s in after.samples if s.name.startswith("process_")})
    rec.check(
        "metrics.exposition",
        bool(processes),
        f"{len(after.samples)} samples; process series: {', '.join(processes[:4]) or 'none'}",
    )
    _red(session, before, after, traffic)
    routes = sorted({s.labels.get("route", "") for s in after.series(REQUESTS)})
    raw = [route for route in routes if traffic.unmatched_path.split("/")[1] in route or "?" in route]
    ok = UNMATCHED_ROUTE in routes and traffic.hello_route in routes and not raw
    rec.check("metrics.route-template", ok, f"routes {routes}" + (f"; raw paths {raw}" if raw else ""))
    methods = sorted({s.labels.get("method", "") for s in after.series(REQUESTS)})
    unbounded = [m for m in methods if m not in STANDARD_METHODS and m != OTHER_METHOD]
    rec.check("metrics.method-bounded", OTHER_METHOD in methods and not unbounded, f"methods {methods}")
    _buckets(session, after, traffic)


def _red(session: Session, before: prom.Exposition | str, after: prom.Exposition, traffic: Traffic) -> None:
    problems = []
    for name, kind in ((REQUESTS, "counter"), (DURATION, "histogram"), (IN_FLIGHT, "gauge")):
        declared = after.type_of(name)
        if declared != kind:
            problems.append(f"{name} is {declared or 'missing'}, not a {kind}")
    for sample in after.series(REQUESTS):
        if set(sample.labels) != RED_LABELS:
            problems.append(f"{REQUESTS} labels {sorted(sample.labels)}")
            break
    for sample in after.series(f"{DURATION}_bucket"):
        if set(sample.labels) != RED_LABELS | {"le"}:
            problems.append(f"{DURATION} labels {sorted(set(sample.labels) - {'le'})}")
            break
    labels = {"method": "GET", "route": traffic.hello_route, "status": "200"}
    counted = after.value(REQUESTS, **labels) - (before.value(REQUESTS, **labels) if not isinstance(before, str) else 0)
    if counted < traffic.hello_count:
        problems.append(f"{traffic.hello_count} GET {traffic.hello_route} counted as {counted:g}")
    if not after.series(REQUESTS, route="/livez"):
        problems.append("probes are not counted (no route=/livez)")
    evidence = "; ".join(problems) or f"3 families typed and labelled; {counted:g} GET {traffic.hello_route} counted"
    session.recorder.check("metrics.red", not problems, evidence)


def _buckets(session: Session, after: prom.Exposition, traffic: Traffic) -> None:
    series = after.series(f"{DURATION}_bucket", method="GET", route=traffic.hello_route, status="200")
    bounds = sorted(float(s.labels["le"]) for s in series if s.labels.get("le") not in (None, "+Inf"))
    ok = tuple(bounds) == PLATFORM_BUCKETS and any(s.labels.get("le") == "+Inf" for s in series)
    session.recorder.check("metrics.buckets", ok, f"le {[f'{b:g}' for b in bounds]}")
