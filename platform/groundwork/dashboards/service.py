"""The per-service Grafana dashboard: the four golden signals and the two SLOs, from the contract's metrics.

Built with grafana-foundation-sdk. Every value that differs between services is a string in `ServiceDashboard`,
so `groundwork.dashboards.template` can build it once with placeholders and turn it into the deploy
template's `base/dashboard.json.jinja`.

Metrics (docs/platform-contract.md): `http_requests_total{method,route,status}`,
`http_request_duration_seconds_bucket` / `_count`, `http_requests_in_flight`; saturation also uses the
cAdvisor and kube-state-metrics series kube-prometheus-stack collects; burn rates use the recording rules of
the deploy template's PrometheusRule (`namespace_job:slo_<slo>_errors:ratio_rate<window>`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

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
from grafana_foundation_sdk.models.dashboard import DashboardCursorSync, DataSourceRef, Threshold, ThresholdsMode

# Routes that are no user traffic (probes and scrapes); the SLIs leave them out, as the PrometheusRule does.
NON_USER_ROUTES = "/livez|/readyz|/startupz|/metrics"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
SLO_WINDOW = "30d"


@dataclass(frozen=True)
class ServiceDashboard:
    """What one service's dashboard depends on; all text, as the deploy template's answers render it."""

    service: str  # the service name, also its namespace, Prometheus job and container name
    domain: str
    owner_team: str
    availability_target: str  # percent, e.g. "99.9"
    availability_error_budget: str  # ratio, e.g. "0.001"
    latency_target: str  # percent, e.g. "99.0"
    latency_error_budget: str  # ratio, e.g. "0.01"
    latency_threshold_ms: str  # e.g. "300"
    latency_le: str  # the bucket boundary in seconds as Prometheus labels it, e.g. "0.3"

    @property
    def uid(self) -> str:
        """Grafana's dashboard uid (at most 40 characters)."""
        return f"gw-{self.service}"[:40]


def build(spec: ServiceDashboard) -> dashboard.Dashboard:
    """The dashboard builder for `spec`."""
    q = _Queries(spec)
    board = (
        dashboard.Dashboard(f"{spec.service}: golden signals and SLOs")
        .uid(spec.uid)
        .description(
            f"{spec.service} ({spec.domain}, owned by {spec.owner_team}):"
            " rate, errors, latency, saturation and SLO budgets"
        )
        .tags(["groundwork", spec.domain, spec.owner_team])
        .readonly()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus"))
        .with_row(dashboard.Row("Golden signals"))
        .with_panel(
            _series("Traffic: requests per second by route", "reqps")
            .description("Requests per second by route template, probes and scrapes left out.")
            .with_target(
                _query(f"sum by (route) (rate(http_requests_total{{{q.user}}}[$__rate_interval]))", "{{route}}")
            )
        )
        .with_panel(
            _series("Errors: share of requests failing", "percentunit")
            .description("5xx (counts against the availability SLO) and 4xx, as a share of all requests.")
            .with_target(_query(q.error_ratio("5..", "$__rate_interval"), "5xx", "A"))
            .with_target(_query(q.error_ratio("4..", "$__rate_interval"), "4xx", "B"))
        )
        .with_panel(
            _series("Errors: failing requests per second by route and status", "reqps").with_target(
                _query(
                    "sum by (route, status) "
                    f'(rate(http_requests_total{{{q.user}, status=~"4..|5.."}}[$__rate_interval]))',
                    "{{route}} {{status}}",
                )
            )
        )
        .with_panel(
            _series("Latency: percentiles", "s")
            .description(
                "p50, p90 and p99 of request duration;"
                f" the flat line is the SLO threshold ({spec.latency_threshold_ms}ms)."
            )
            .with_target(_query(q.quantile("0.5"), "p50", "A"))
            .with_target(_query(q.quantile("0.9"), "p90", "B"))
            .with_target(_query(q.quantile("0.99"), "p99", "C"))
            .with_target(_query(f"vector({spec.latency_le})", f"SLO threshold {spec.latency_threshold_ms}ms", "D"))
        )
        .with_panel(
            _series("Latency: p99 by route", "s").with_target(_query(q.quantile("0.99", by="route"), "{{route}}"))
        )
        .with_panel(
            _series("Saturation: requests in flight", "short")
            .description("Requests being served right now, per pod.")
            .with_target(_query(f"sum by (pod) (http_requests_in_flight{{{q.job}}})", "{{pod}}"))
        )
        .with_panel(
            _series("Saturation: CPU used of limit", "percentunit").with_target(
                _query(
                    f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{q.container}}}[$__rate_interval]))"
                    f' / sum by (pod) (kube_pod_container_resource_limits{{{q.container}, resource="cpu"}})',
                    "{{pod}}",
                )
            )
        )
        .with_panel(
            _series("Saturation: memory used of limit", "percentunit").with_target(
                _query(
                    f"sum by (pod) (container_memory_working_set_bytes{{{q.container}}})"
                    f' / sum by (pod) (kube_pod_container_resource_limits{{{q.container}, resource="memory"}})',
                    "{{pod}}",
                )
            )
        )
        .with_panel(
            _series("Saturation: replicas", "short")
            .with_target(
                _query(
                    "sum(kube_deployment_status_replicas_available"
                    f'{{namespace="{spec.service}", deployment="{spec.service}"}})',
                    "available",
                    "A",
                )
            )
            .with_target(
                _query(
                    f"sum(kube_horizontalpodautoscaler_status_desired_replicas"
                    f'{{namespace="{spec.service}", horizontalpodautoscaler="{spec.service}"}})',
                    "wanted by the autoscaler",
                    "B",
                )
            )
        )
        .with_row(dashboard.Row(f"SLOs over {SLO_WINDOW}"))
        .with_panel(
            _stat(f"Availability (SLO {spec.availability_target}%)", "percentunit", span=6)
            .description(f"Share of requests over {SLO_WINDOW} not answered with a 5xx.")
            .decimals(3)
            .with_target(_query(f"1 - {q.error_ratio('5..', SLO_WINDOW, increase=True)}", "availability", instant=True))
        )
        .with_panel(
            _budget_stat("Availability error budget left", span=6).with_target(
                _query(
                    f"1 - ({q.error_ratio('5..', SLO_WINDOW, increase=True)}) / {spec.availability_error_budget}",
                    "budget left",
                    instant=True,
                )
            )
        )
        .with_panel(
            _stat(f"Latency: within {spec.latency_threshold_ms}ms (SLO {spec.latency_target}%)", "percentunit", span=6)
            .description(f"Share of requests over {SLO_WINDOW} answered within {spec.latency_threshold_ms}ms.")
            .decimals(3)
            .with_target(_query(q.fast_ratio(SLO_WINDOW), "within threshold", instant=True))
        )
        .with_panel(
            _budget_stat("Latency error budget left", span=6).with_target(
                _query(
                    f"1 - (1 - {q.fast_ratio(SLO_WINDOW)}) / {spec.latency_error_budget}", "budget left", instant=True
                )
            )
        )
        .with_panel(_burn_rates(spec, q))
    )
    return board


def to_json(spec: ServiceDashboard) -> str:
    """The dashboard as Grafana JSON: sorted keys, two-space indent, a final newline."""
    built = build(spec).build()
    # Round-trip through json so that the text depends only on the data, not on the SDK's field order.
    data = json.loads(JSONEncoder().encode(built))
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


class _Queries:
    """PromQL fragments for one service, so every panel selects the same series."""

    def __init__(self, spec: ServiceDashboard) -> None:
        self.spec = spec
        self.job = f'namespace="{spec.service}", job="{spec.service}"'
        self.user = f'{self.job}, route!~"{NON_USER_ROUTES}"'
        self.container = f'namespace="{spec.service}", container="{spec.service}"'

    def error_ratio(self, status: str, window: str, *, increase: bool = False) -> str:
        fn = "increase" if increase else "rate"
        bad = f'sum({fn}(http_requests_total{{{self.user}, status=~"{status}"}}[{window}]))'
        total = f"sum({fn}(http_requests_total{{{self.user}}}[{window}]))"
        return f"(({bad} or vector(0)) / {total})"

    def fast_ratio(self, window: str) -> str:
        fast = (
            f'sum(increase(http_request_duration_seconds_bucket{{{self.user}, le="{self.spec.latency_le}"}}[{window}]))'
        )
        total = f"sum(increase(http_request_duration_seconds_count{{{self.user}}}[{window}]))"
        return f"({fast} / {total})"

    def quantile(self, q: str, by: str = "") -> str:
        labels = f"le, {by}" if by else "le"
        return (
            f"histogram_quantile({q}, sum by ({labels}) "
            f"(rate(http_request_duration_seconds_bucket{{{self.user}}}[$__rate_interval])))"
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


def _burn_rates(spec: ServiceDashboard, q: _Queries) -> timeseries.Panel:
    """Burn rates (error ratio / error budget) over the alerts' long windows, with the page thresholds."""
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
    budgets = {"availability": spec.availability_error_budget, "latency": spec.latency_error_budget}
    ref = iter("ABCD")
    for slo, budget in budgets.items():
        for window in ("1h", "6h"):
            panel = panel.with_target(
                _query(
                    f"namespace_job:slo_{slo}_errors:ratio_rate{window}{{{q.job}}} / {budget}",
                    f"{slo} {window}",
                    next(ref),
                )
            )
    return panel
