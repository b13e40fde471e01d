"""The fleet-wide service dashboard: the four golden signals and the two SLOs of any service, chosen with the
`namespace` and `service` variables. Built with grafana-foundation-sdk, generated once into
gitops/addons/dashboards/service.json (`groundwork.dashboards.provision`) and provisioned once for the fleet.

Metrics (docs/platform-contract.md): `http_requests_total{method,route,status}`,
`http_request_duration_seconds_bucket` / `_count`, `http_requests_in_flight`; saturation also uses the
cAdvisor and kube-state-metrics series kube-prometheus-stack collects. What is a service's own, its SLO
objectives, comes from its PrometheusRule (deploy template): the burn-rate recording rules
`namespace_job:slo_<slo>_errors:ratio_rate<window>`, and `namespace_job:slo_<slo>_error_budget:ratio` and
`namespace_job:slo_latency_threshold:seconds`, which record its objectives as series. A service with
events=kafka also exports its event flow (the service template's event_metrics.py): `outbox_backlog`,
`outbox_relay_latency_seconds`, `kafka_consumer_lag`, `events_consumed_total`; their row is empty for the others.
"""

from __future__ import annotations

import json

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig, ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    GraphTresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
    VariableSort,
)

# Routes that are no user traffic (probes and scrapes); the SLIs leave them out, as the PrometheusRule does.
NON_USER_ROUTES = "/livez|/readyz|/startupz|/metrics"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
SLO_WINDOW = "30d"
UID = "gw-service"
TITLE = "Service: golden signals and SLOs"
# The series of the chosen service: its namespace, its Prometheus job, its container (all named after it).
JOB = 'namespace="$namespace", job="$service"'
USER = f'{JOB}, route!~"{NON_USER_ROUTES}"'
CONTAINER = 'namespace="$namespace", container="$service"'
# The deploy template's OutboxBacklogStuck alert (base/prometheusrule.yaml.jinja): backlog over this many events
# for this long; tests/deploy/test_deploy_template_database.py keeps both equal.
OUTBOX_BACKLOG_ALERT = 100
OUTBOX_ALERT_MINUTES = 15


def _budget(slo: str) -> str:
    return f"namespace_job:slo_{slo}_error_budget:ratio{{{JOB}}}"


def build() -> dashboard.Dashboard:
    """The dashboard builder."""
    return (
        dashboard.Dashboard(TITLE)
        .uid(UID)
        .description(
            "Rate, errors, latency, saturation and SLO budgets of one service (the namespace and service variables);"
            " the SLO objectives are the service's own, recorded by its PrometheusRule."
        )
        .tags(["groundwork", "service"])
        .readonly()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus"))
        .with_variable(_variable("namespace", "Namespace", "label_values(http_requests_total, namespace)"))
        .with_variable(
            _variable("service", "Service", 'label_values(http_requests_total{namespace="$namespace"}, job)')
        )
        .with_row(dashboard.Row("Golden signals"))
        .with_panel(
            _series("Traffic: requests per second by route", "reqps")
            .description("Requests per second by route template, probes and scrapes left out.")
            .with_target(_query(f"sum by (route) (rate(http_requests_total{{{USER}}}[$__rate_interval]))", "{{route}}"))
        )
        .with_panel(
            _series("Errors: share of requests failing", "percentunit")
            .description("5xx (counts against the availability SLO) and 4xx, as a share of all requests.")
            .with_target(_query(_error_ratio("5..", "$__rate_interval"), "5xx", "A"))
            .with_target(_query(_error_ratio("4..", "$__rate_interval"), "4xx", "B"))
        )
        .with_panel(
            _series("Errors: failing requests per second by route and status", "reqps").with_target(
                _query(
                    "sum by (route, status) "
                    f'(rate(http_requests_total{{{USER}, status=~"4..|5.."}}[$__rate_interval]))',
                    "{{route}} {{status}}",
                )
            )
        )
        .with_panel(
            _series("Latency: percentiles", "s")
            .description("p50, p90 and p99 of request duration; the flat line is the service's SLO threshold.")
            .with_target(_query(_quantile("0.5"), "p50", "A"))
            .with_target(_query(_quantile("0.9"), "p90", "B"))
            .with_target(_query(_quantile("0.99"), "p99", "C"))
            .with_target(_query(f"namespace_job:slo_latency_threshold:seconds{{{JOB}}}", "SLO threshold", "D"))
        )
        .with_panel(
            _series("Latency: p99 by route", "s").with_target(_query(_quantile("0.99", by="route"), "{{route}}"))
        )
        .with_panel(
            _series("Saturation: requests in flight", "short")
            .description("Requests being served right now, per pod.")
            .with_target(_query(f"sum by (pod) (http_requests_in_flight{{{JOB}}})", "{{pod}}"))
        )
        .with_panel(
            _series("Saturation: CPU used of limit", "percentunit").with_target(
                _query(
                    f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{CONTAINER}}}[$__rate_interval]))"
                    f' / sum by (pod) (kube_pod_container_resource_limits{{{CONTAINER}, resource="cpu"}})',
                    "{{pod}}",
                )
            )
        )
        .with_panel(
            _series("Saturation: memory used of limit", "percentunit").with_target(
                _query(
                    f"sum by (pod) (container_memory_working_set_bytes{{{CONTAINER}}})"
                    f' / sum by (pod) (kube_pod_container_resource_limits{{{CONTAINER}, resource="memory"}})',
                    "{{pod}}",
                )
            )
        )
        .with_panel(
            _series("Saturation: replicas", "short")
            .with_target(
                _query(
                    'sum(kube_deployment_status_replicas_available{namespace="$namespace", deployment="$service"})',
                    "available",
                    "A",
                )
            )
            .with_target(
                _query(
                    "sum(kube_horizontalpodautoscaler_status_desired_replicas"
                    '{namespace="$namespace", horizontalpodautoscaler="$service"})',
                    "wanted by the autoscaler",
                    "B",
                )
            )
        )
        .with_row(dashboard.Row(f"SLOs over {SLO_WINDOW}"))
        .with_panel(
            _stat("Availability", "percentunit", span=6)
            .description(f"Share of requests over {SLO_WINDOW} not answered with a 5xx.")
            .decimals(3)
            .with_target(_query(f"1 - {_error_ratio('5..', SLO_WINDOW, increase=True)}", "availability", instant=True))
        )
        .with_panel(
            _budget_stat("Availability error budget left", span=6).with_target(
                _query(
                    f"1 - {_error_ratio('5..', SLO_WINDOW, increase=True)} / {_budget('availability')}",
                    "budget left",
                    instant=True,
                )
            )
        )
        .with_panel(
            _stat("Latency: within the SLO threshold", "percentunit", span=6)
            .description(f"Share of requests over {SLO_WINDOW} answered within the service's threshold.")
            .decimals(3)
            .with_target(_query(f"1 - {_slow_ratio(SLO_WINDOW)}", "within threshold", instant=True))
        )
        .with_panel(
            _budget_stat("Latency error budget left", span=6).with_target(
                _query(
                    f"1 - {_slow_ratio(SLO_WINDOW)} / on (namespace, job) {_budget('latency')}",
                    "budget left",
                    instant=True,
                )
            )
        )
        .with_panel(_burn_rates())
        .with_row(dashboard.Row("Events (services with events=kafka)"))
        .with_panel(
            _series("Outbox: events not yet on the broker", "short")
            .description(
                "Events committed with the service's data, waiting for the relay to publish them; the dashed line is"
                f" the OutboxBacklogStuck alert's threshold (held for {OUTBOX_ALERT_MINUTES} minutes)."
            )
            .thresholds(_line_at(OUTBOX_BACKLOG_ALERT))
            .thresholds_style(GraphThresholdsStyleConfig().mode(GraphTresholdsStyleMode.DASHED))
            .with_target(_query(f"max(outbox_backlog{{{JOB}}})", "backlog"))
        )
        .with_panel(
            _series("Outbox: relay latency", "s")
            .description("From the writing transaction to the broker's acknowledgement.")
            .with_target(_query(_relay_quantile("0.5"), "p50", "A"))
            .with_target(_query(_relay_quantile("0.99"), "p99", "B"))
        )
        .with_panel(
            _series("Consumer lag by topic", "short")
            .description(
                "Messages behind the end of each consumed topic (the ConsumerLagHigh alert: over 1000 for 10m)."
            )
            .with_target(_query(f"max by (topic) (kafka_consumer_lag{{{JOB}}})", "{{topic}}"))
        )
        .with_panel(
            _series("Consumed messages by outcome", "short", span=24)
            .description("processed, duplicate (skipped), retried, dead_lettered (MessagesDeadLettered), per second.")
            .with_target(
                _query(
                    f"sum by (topic, outcome) (rate(events_consumed_total{{{JOB}}}[$__rate_interval]))",
                    "{{topic}} {{outcome}}",
                )
            )
        )
    )


def to_json() -> str:
    """The dashboard as Grafana JSON: sorted keys, two-space indent, a final newline."""
    built = build().build()
    # Round-trip through json so that the text depends only on the data, not on the SDK's field order.
    data = json.loads(JSONEncoder().encode(built))
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _variable(name: str, label: str, query: str) -> dashboard.QueryVariable:
    return (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def _error_ratio(status: str, window: str, *, increase: bool = False) -> str:
    fn = "increase" if increase else "rate"
    bad = f'sum by (namespace, job) ({fn}(http_requests_total{{{USER}, status=~"{status}"}}[{window}]))'
    total = f"sum by (namespace, job) ({fn}(http_requests_total{{{USER}}}[{window}]))"
    return f"(({bad} or 0 * {total}) / {total})"


def _slow_ratio(window: str) -> str:
    """Share of requests slower than the service's threshold. The threshold's bucket (`le`) differs by service,
    so it is taken from the series the service's PrometheusRule records with that `le` label."""
    at_threshold = f"namespace_job:slo_latency_threshold:seconds{{{JOB}}}"
    fast = (
        f"sum by (namespace, job) (increase(http_request_duration_seconds_bucket{{{USER}}}[{window}])"
        f" and on (namespace, job, le) {at_threshold})"
    )
    total = f"sum by (namespace, job) (increase(http_request_duration_seconds_count{{{USER}}}[{window}]))"
    return f"(1 - {fast} / {total})"


def _quantile(q: str, by: str = "") -> str:
    labels = f"le, {by}" if by else "le"
    return (
        f"histogram_quantile({q}, sum by ({labels}) "
        f"(rate(http_request_duration_seconds_bucket{{{USER}}}[$__rate_interval])))"
    )


def _relay_quantile(q: str) -> str:
    return (
        f"histogram_quantile({q}, sum by (le) (rate(outbox_relay_latency_seconds_bucket{{{JOB}}}[$__rate_interval])))"
    )


def _line_at(value: float) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=None, color="green"), Threshold(value=value, color="red")])
    )


def _query(expr: str, legend: str, ref_id: str = "A", *, instant: bool = False) -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id).datasource(DATASOURCE)
    return query.instant() if instant else query.range()


def _series(title: str, unit: str, span: int = 8) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .unit(unit)
        .min(0)
        .height(8)
        .span(span)
        .fill_opacity(10)
        .legend(
            VizLegendOptions().display_mode(LegendDisplayMode.LIST).placement(LegendPlacement.BOTTOM).show_legend(True)
        )
    )


def _stat(title: str, unit: str, span: int) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .unit(unit)
        .height(5)
        .span(span)
        .graph_mode(BigValueGraphMode.NONE)
        .color_mode(BigValueColorMode.VALUE)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))
    )


def _budget_stat(title: str, span: int) -> stat.Panel:
    """Error budget left over the SLO window: red once spent, orange under a quarter, green otherwise."""
    return (
        _stat(f"{title} ({SLO_WINDOW})", "percentunit", span)
        .description("1 = untouched, 0 = spent, below 0 = the SLO is missed over the window.")
        .decimals(1)
        .thresholds(
            dashboard.ThresholdsConfig()
            .mode(ThresholdsMode.ABSOLUTE)
            .steps(
                [
                    Threshold(value=None, color="red"),
                    Threshold(value=0, color="orange"),
                    Threshold(value=0.25, color="green"),
                ]
            )
        )
    )


def _burn_rates() -> timeseries.Panel:
    """Burn rates (error ratio / the service's error budget) over the alerts' long windows, with the page
    thresholds."""
    panel = (
        _series("Error budget burn rate (x budget)", "suffix:x", span=24)
        .description("1 = spending the budget exactly over 30 days. Pages fire above 14.4 (1h) and 6 (6h).")
        .thresholds(
            dashboard.ThresholdsConfig()
            .mode(ThresholdsMode.ABSOLUTE)
            .steps(
                [
                    Threshold(value=None, color="green"),
                    Threshold(value=6, color="orange"),
                    Threshold(value=14.4, color="red"),
                ]
            )
        )
        .thresholds_style(GraphThresholdsStyleConfig().mode(GraphTresholdsStyleMode.DASHED))
    )
    ref = iter("ABCD")
    for slo in ("availability", "latency"):
        for window in ("1h", "6h"):
            panel = panel.with_target(
                _query(
                    f"namespace_job:slo_{slo}_errors:ratio_rate{window}{{{JOB}}} / {_budget(slo)}",
                    f"{slo} {window}",
                    next(ref),
                )
            )
    return panel
