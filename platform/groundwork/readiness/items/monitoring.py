"""Item 2, basic monitoring: every service serves /metrics and is scraped (ServiceMonitor), logs JSON, is traced
(OTLP), has a dashboard and SLO alerts; the fleet has an overview dashboard."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from groundwork.parsed import as_list, as_mapping
from groundwork.paths import ADDONS_DIR, BASE_DIR, DASHBOARDS_ADDON, GITOPS_DIR, KUSTOMIZATION, SLO_RULES_FILE
from groundwork.readiness.cluster import cluster_health
from groundwork.readiness.context import Context
from groundwork.readiness.entries import Entry
from groundwork.readiness.model import Check, Evidence, ItemSpec, judged
from groundwork.readiness.probes import (
    JSON_LOG_RENDERER,
    LOGGING,
    OTLP_DEPENDENCY,
    OTLP_SETUP,
    TRACER_PROVIDER,
    route,
)

SPEC = ItemSpec(
    2,
    "basic-monitoring",
    "Basic monitoring",
    "Does every service expose /metrics (scraped), JSON logs and traces, with a dashboard and SLO alerts?",
)
NAME_LABEL = "app.kubernetes.io/name"
FLEET_DASHBOARDS = Path(GITOPS_DIR) / ADDONS_DIR / DASHBOARDS_ADDON
SERVICE_DASHBOARD = FLEET_DASHBOARDS / "service.json"
SLO_RULES = FLEET_DASHBOARDS / SLO_RULES_FILE
# What a service's PrometheusRule records about its own SLOs, for the service dashboard.
OBJECTIVE_RECORDS = (
    "namespace_job:slo_availability_error_budget:ratio",
    "namespace_job:slo_latency_error_budget:ratio",
    "namespace_job:slo_latency_threshold:seconds",
)
OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def assess(context: Context) -> list[Check]:
    checks: list[Check] = []
    for entry in context.entries:
        checks += [
            _metrics_endpoint(context, entry),
            _service_monitor(entry),
            _json_logs(context, entry),
            _tracing(context, entry),
            _dashboard(context, entry),
            _slo_alerts(context, entry),
        ]
    checks.append(_fleet_dashboard(context))
    in_cluster = cluster_health(context)
    if in_cluster is not None:
        checks.append(in_cluster)
    return checks


def _metrics_endpoint(context: Context, entry: Entry) -> Check:
    hit = context.repo_files(entry.name).first(route("/metrics"))
    where = context.repos.shown(entry.name, hit.file) + f":{hit.line}" if hit else ""
    return judged(
        "metrics-endpoint",
        [] if hit else [f"{entry.name}: no source file of {context.repo_shown(entry.name)} serves the route /metrics"],
        f"{entry.name} serves /metrics ({where})",
        Evidence(files=(where,) if where else ()),
        service=entry.name,
    )


def _service_monitor(entry: Entry) -> Check:
    resources = set(entry.resources(BASE_DIR))
    ports = {
        str(port.get("name"))
        for found in entry.of_kind("Service", BASE_DIR)
        for port in as_list(as_mapping(found.body.get("spec")).get("ports"))
        if isinstance(port, Mapping)
    }
    candidates = entry.of_kind("ServiceMonitor", BASE_DIR)
    problems: list[str] = []
    good: list[str] = []
    for found in candidates:
        spec = as_mapping(found.body.get("spec"))
        name = found.file.rsplit("/", 1)[-1]
        selector = as_mapping(as_mapping(spec.get("selector")).get("matchLabels"))
        endpoints = [as_mapping(e) for e in as_list(spec.get("endpoints"))]
        if name not in resources:
            problems.append(f"{entry.name}: {found.file} is not listed in {entry.rel(BASE_DIR, KUSTOMIZATION)}")
        elif selector.get(NAME_LABEL) != entry.name:
            where = found.where("spec", "selector")
            problems.append(f"{entry.name}: {where} does not select {NAME_LABEL}={entry.name}")
        elif not any(e.get("path", "/metrics") == "/metrics" and e.get("port") in ports for e in endpoints):
            problems.append(f"{entry.name}: {found.where('spec', 'endpoints')} scrapes no /metrics on a Service port")
        else:
            good.append(found.file)
    if not candidates:
        problems.append(f"{entry.name}: no ServiceMonitor in {entry.rel(BASE_DIR)}/ (servicemonitor.yaml)")
    return judged(
        "servicemonitor",
        [] if good else problems,
        f"{entry.name} is scraped at /metrics ({', '.join(good)})",
        Evidence(files=tuple(good) or tuple(found.file for found in candidates)),
        service=entry.name,
    )


def _json_logs(context: Context, entry: Entry) -> Check:
    files = context.repo_files(entry.name)
    renderers = [hit for hit in files.grep(JSON_LOG_RENDERER) if files.first_in(hit.file, LOGGING)]
    keys = {key: files.first(rf"""["']{key}["']""") for key in ("trace_id", "span_id")}
    problems: list[str] = []
    if not renderers:
        problems.append(f"{entry.name}: no logging code of {context.repo_shown(entry.name)} renders JSON lines")
    problems += [
        f"{entry.name}: its logs never carry the contract key {key} ({context.repo_shown(entry.name)})"
        for key, hit in keys.items()
        if hit is None
    ]
    shown = [f"{context.repos.shown(entry.name, hit.file)}:{hit.line}" for hit in renderers[:1]]
    return judged(
        "json-logs",
        problems,
        f"{entry.name} logs JSON lines with trace_id and span_id ({', '.join(shown)})",
        Evidence(files=tuple(shown)),
        service=entry.name,
    )


def _tracing(context: Context, entry: Entry) -> Check:
    files = context.repo_files(entry.name)
    dependency = files.first(OTLP_DEPENDENCY, manifests=True)
    setup = files.first(OTLP_SETUP)
    provider = files.first(TRACER_PROVIDER)
    env = entry.container_env()
    endpoint = next((env[name] for name in OTLP_ENDPOINTS if name in env and env[name].value), None)
    problems: list[str] = []
    if dependency is None:
        repo = context.repo_shown(entry.name)
        problems.append(f"{entry.name}: no dependency manifest of {repo} has an OTLP exporter")
    if setup is None or provider is None:
        problems.append(f"{entry.name}: no source file of {context.repo_shown(entry.name)} sets up an OTLP tracer")
    if endpoint is None:
        problems.append(
            f"{entry.name}: {entry.rel(BASE_DIR)}/ sets no {' or '.join(OTLP_ENDPOINTS)} on the container, "
            "so spans go nowhere"
        )
    shown = [f"{context.repos.shown(entry.name, hit.file)}:{hit.line}" for hit in (dependency, setup) if hit]
    shown += [endpoint.where] if endpoint else []
    return judged(
        "tracing",
        problems,
        f"{entry.name} exports OTLP traces to {endpoint.value if endpoint else ''}",
        Evidence(files=tuple(shown)),
        service=entry.name,
    )


def _dashboard(context: Context, entry: Entry) -> Check:
    """The service's dashboard is the fleet's one service dashboard (its `namespace` and `service` variables set
    to the service), which shows budgets from the objectives the service's PrometheusRule records."""
    shown = context.shown(context.root / SERVICE_DASHBOARD)
    problems: list[str] = []
    panels = 0
    try:
        board = json.loads((context.root / SERVICE_DASHBOARD).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        board = None
        problems.append(f"{entry.name}: the fleet's service dashboard {shown} is missing or not JSON")
    if board is not None:
        panels = _panel_count(board)
        variables = {str(as_mapping(v).get("name")) for v in as_list(as_mapping(board.get("templating")).get("list"))}
        missing = sorted({"namespace", "service"} - variables)
        if missing:
            problems.append(f"{entry.name}: {shown} has no variable {' or '.join(missing)} to pick the service")
    objectives = {
        str(as_mapping(rule).get("record"))
        for found in entry.of_kind("PrometheusRule", BASE_DIR)
        for group in as_list(as_mapping(found.body.get("spec")).get("groups"))
        for rule in as_list(as_mapping(group).get("rules"))
        if as_mapping(as_mapping(rule).get("labels")).get("namespace") == entry.name
    }
    absent = sorted(set(OBJECTIVE_RECORDS) - objectives)
    if absent:
        problems.append(
            f"{entry.name}: no PrometheusRule of {entry.rel(BASE_DIR)}/ records {', '.join(absent)} for namespace"
            f" {entry.name}, so the service dashboard cannot show its budgets"
        )
    return judged(
        "dashboard",
        problems,
        f"{entry.name} is shown by the fleet's service dashboard ({panels} panels) with its own SLO objectives",
        Evidence(files=(shown,), counts={"panels": panels}),
        service=entry.name,
    )


def _slo_alerts(context: Context, entry: Entry) -> Check:
    """Availability and latency burn-rate alerts on the service's series: its own, or the fleet's SLO rules
    (addons/dashboards/slo-rules.yaml) joined with the error budget the service records."""
    resources = set(entry.resources(BASE_DIR))
    alerts: dict[str, list[str]] = {"availability": [], "latency": []}
    files: list[str] = []
    budgets: set[str] = set()
    for found in entry.of_kind("PrometheusRule", BASE_DIR):
        if found.file.rsplit("/", 1)[-1] not in resources:
            continue
        files.append(found.file)
        for rule in _rules(found.body):
            if rule.get("record") and as_mapping(rule.get("labels")).get("namespace") == entry.name:
                budgets.add(str(rule["record"]))
            _count_alert(rule, alerts, lambda expr: entry.name in expr)
    fleet = context.root / SLO_RULES
    for rule in _rules(_yaml(fleet)):
        _count_alert(rule, alerts, lambda expr: any(budget in expr for budget in budgets))
    if fleet.is_file():
        files.append(context.shown(fleet))
    problems = [
        f"{entry.name}: no {slo} SLO alert (with a severity, on {entry.name}'s series) in a PrometheusRule of "
        f"{entry.rel(BASE_DIR)}/, nor in {context.shown(fleet)} on the {slo} error budget {entry.name} records"
        for slo, names in alerts.items()
        if not names
    ]
    total = sum(len(names) for names in alerts.values())
    return judged(
        "slo-alerts",
        problems,
        f"{entry.name} has {total} SLO alerts (availability and latency burn rates)",
        Evidence(files=tuple(files), counts={slo: len(names) for slo, names in alerts.items()}),
        service=entry.name,
    )


def _rules(body: Any) -> list[Mapping[str, Any]]:
    groups = as_list(as_mapping(as_mapping(body).get("spec")).get("groups"))
    return [as_mapping(rule) for group in groups for rule in as_list(as_mapping(group).get("rules"))]


def _count_alert(rule: Mapping[str, Any], alerts: dict[str, list[str]], on_service: Callable[[str], bool]) -> None:
    name, labels = str(rule.get("alert") or ""), as_mapping(rule.get("labels"))
    if not name or not labels.get("severity") or not on_service(str(rule.get("expr", ""))):
        return
    for slo in alerts:
        if labels.get("slo") == slo or name.lower().startswith(slo):
            alerts[slo].append(name)


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _fleet_dashboard(context: Context) -> Check:
    folder = context.root / FLEET_DASHBOARDS
    kustomization = folder / KUSTOMIZATION
    problems: list[str] = []
    found: list[str] = []
    panels = 0
    try:
        body = yaml.safe_load(kustomization.read_text(encoding="utf-8")) if kustomization.is_file() else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        body = None
    names = [
        str(spec).split("=", 1)[-1]
        for generator in as_list(as_mapping(body).get("configMapGenerator"))
        for spec in as_list(as_mapping(generator).get("files"))
    ]
    for name in names:
        try:
            count = _panel_count(json.loads((folder / name).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError):
            problems.append(f"{context.shown(folder / name)} is missing or not JSON")
            continue
        if count:
            found.append(context.shown(folder / name))
            panels += count
    if not found:
        problems.append(f"no fleet overview dashboard in {context.shown(kustomization)} (a configMapGenerator JSON)")
    return judged(
        "fleet-dashboard",
        problems,
        f"the fleet overview dashboard has {panels} panels",
        Evidence(files=tuple(found), counts={"panels": panels}),
    )


def _panel_count(dashboard: Any) -> int:
    panels = as_list(as_mapping(dashboard).get("panels"))
    nested = sum(len(as_list(as_mapping(panel).get("panels"))) for panel in panels)
    return sum(1 for panel in panels if as_mapping(panel).get("type") != "row") + nested
