"""Generate promtool unit tests for a rules file from its own rules and the service's SLO answers.

Two tests per rules file, over synthetic series of the platform contract's metrics (`http_requests_total`,
`http_request_duration_seconds_{bucket,count,sum}`) labelled to match the rules' own selectors:
- outage: every request answers 5xx and is slower than every bucket; each paging alert (severity page or
  critical) that depends on those metrics, directly or through recording rules, must be firing;
- healthy: errors and slow requests at half the SLO's error budget (none when no SLO is declared); none of the
  alerts depending on those metrics may be firing or pending.
Both are test groups of one promtool test file; a failure is told apart by its query (OUTAGE_QUERY).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from groundwork.check.rules.slo import Slo

REQUESTS = "http_requests_total"
HISTOGRAM = "http_request_duration_seconds"
CONTRACT_METRICS = frozenset({REQUESTS, f"{HISTOGRAM}_bucket", f"{HISTOGRAM}_count", f"{HISTOGRAM}_sum"})
PAGE_SEVERITIES = frozenset({"page", "critical"})
REQUESTS_PER_MINUTE = 1_000_000
SETTLE_MINUTES = 8  # the shortest window the template uses (5m) holds several samples by then
OUTAGE_QUERY = "max by (alertname) (ALERTS{"
BAD_STATUS, GOOD_STATUS = "500", "200"
# Values for contract labels the rules filter with a regex or a negative matcher, tried in order.
LABEL_CANDIDATES = {"route": ["/v1/items", "/"], "method": ["GET", "POST"]}
FALLBACK_VALUE = "x"
# Every label value the tests choose of their own accord (not read from the rules).
CONSTANT_VALUES = (
    BAD_STATUS,
    GOOD_STATUS,
    FALLBACK_VALUE,
    "+Inf",
    *(v for vs in LABEL_CANDIDATES.values() for v in vs),
)

_TOKEN = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_SELECTOR = re.compile(r"\b(" + "|".join(sorted(CONTRACT_METRICS, key=len, reverse=True)) + r")\s*\{([^}]*)\}")
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


@dataclass(frozen=True)
class RuleTests:
    """The generated promtool test file (as data) and the alerts its two test groups are about."""

    test_file: dict[str, Any]
    paging: tuple[str, ...]
    watched: tuple[str, ...]
    eval_minutes: int


def synthesize(groups: Sequence[Mapping[str, Any]], slo: Slo, rules_file: str) -> RuleTests | None:
    """Tests for the rules in `groups` (referenced as `rules_file`); None when no alert uses the contract metrics."""
    rules = [r for g in groups for r in (g.get("rules") or []) if isinstance(r, Mapping)]
    recorded = {str(r["record"]): str(r.get("expr", "")) for r in rules if r.get("record")}
    alerts = [r for r in rules if r.get("alert")]
    watched = [r for r in alerts if _depends(str(r.get("expr", "")), recorded, set())]
    if not watched:
        return None
    paging = sorted(
        {str(r["alert"]) for r in watched if str((r.get("labels") or {}).get("severity")) in PAGE_SEVERITIES}
    )
    watched_names = sorted({str(r["alert"]) for r in watched})
    eval_minutes = max(_minutes(str(r.get("for") or "0s")) for r in watched) + SETTLE_MINUTES
    labels, buckets = _series_shape([str(r.get("expr", "")) for r in rules], slo, _recorded_labels(rules))
    length = eval_minutes + 5
    test_groups: list[dict[str, Any]] = []
    if paging:
        test_groups.append(
            _test_group(
                _outage_series(labels, buckets, length),
                f'{OUTAGE_QUERY}alertstate="firing", alertname=~"{_alternation(paging)}"}})',
                eval_minutes,
                [{"labels": f'{{alertname="{name}"}}', "value": 1} for name in paging],
            )
        )
    test_groups.append(
        _test_group(
            _healthy_series(labels, buckets, length, slo),
            f'ALERTS{{alertname=~"{_alternation(watched_names)}"}}',
            eval_minutes,
            [],
        )
    )
    test_file = {"rule_files": [rules_file], "evaluation_interval": "1m", "tests": test_groups}
    return RuleTests(test_file, tuple(paging), tuple(watched_names), eval_minutes)


def _depends(expr: str, recorded: Mapping[str, str], seen: set[str]) -> bool:
    for token in set(_TOKEN.findall(expr)):
        if token in CONTRACT_METRICS:
            return True
        if token in recorded and token not in seen:
            seen.add(token)
            if _depends(recorded[token], recorded, seen):
                return True
    return False


def _recorded_labels(rules: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The labels of the series the rules record from constants (`vector(...)`: a service's objectives), which
    rules that join on them (`on (namespace, job)`, `on (..., le)`) need the contract metrics to carry too."""
    found: dict[str, str] = {}
    for rule in rules:
        if rule.get("record") and str(rule.get("expr", "")).strip().startswith("vector("):
            for name, value in (rule.get("labels") or {}).items():
                found.setdefault(str(name), str(value))
    return found


def _series_shape(
    exprs: Iterable[str], slo: Slo, recorded: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Labels every synthetic series carries (so each selector of the rules matches, and each join on a recorded
    objective) and the `le` bounds."""
    recorded = dict(recorded or {})
    fixed: dict[str, str] = {k: v for k, v in recorded.items() if k != "le"}
    filters: dict[str, list[tuple[str, str]]] = {}
    buckets: set[str] = {recorded["le"]} if "le" in recorded else set()
    for expr in exprs:
        for _metric, body in _SELECTOR.findall(expr):
            for name, op, value in _MATCHER.findall(body):
                if name == "le":
                    if op == "=":
                        buckets.add(value)
                elif name in ("status", "__name__"):
                    continue
                elif op == "=":
                    fixed.setdefault(name, value)
                else:
                    filters.setdefault(name, []).append((op, value))
    if slo.latency_threshold_seconds is not None and not buckets:
        buckets.add(f"{slo.latency_threshold_seconds:g}")
    labels = dict(fixed)
    for name in sorted(set(LABEL_CANDIDATES) | set(filters)):
        if name not in labels:
            labels[name] = _satisfying(filters.get(name, []), LABEL_CANDIDATES.get(name, []))
    finite = sorted((b for b in buckets if b not in ("+Inf", "Inf")), key=_float)
    return labels, finite


def _satisfying(matchers: Sequence[tuple[str, str]], preferred: Sequence[str]) -> str:
    candidates = list(preferred)
    for op, value in matchers:
        if op == "=~":
            candidates += [part for part in value.split("|") if re.fullmatch(r"[\w./:-]+", part)]
    for candidate in [*candidates, FALLBACK_VALUE]:
        if all(_matches(op, value, candidate) for op, value in matchers):
            return candidate
    return FALLBACK_VALUE


def _matches(op: str, value: str, candidate: str) -> bool:
    try:
        if op == "=~":
            return re.fullmatch(value, candidate) is not None
        if op == "!~":
            return re.fullmatch(value, candidate) is None
    except re.error:
        return True
    return candidate != value if op == "!=" else candidate == value


def _outage_series(labels: Mapping[str, str], buckets: Sequence[str], length: int) -> list[dict[str, str]]:
    return _request_series(labels, buckets, length, {BAD_STATUS: (REQUESTS_PER_MINUTE, REQUESTS_PER_MINUTE)})


def _healthy_series(labels: Mapping[str, str], buckets: Sequence[str], length: int, slo: Slo) -> list[dict[str, str]]:
    errors = round(REQUESTS_PER_MINUTE * (slo.availability_budget or 0) / 2)
    slow_share = (slo.latency_budget or 0) / 2
    counts = {GOOD_STATUS: REQUESTS_PER_MINUTE - errors, BAD_STATUS: errors}
    return _request_series(labels, buckets, length, {s: (c, round(c * slow_share)) for s, c in counts.items() if c})


def _request_series(
    labels: Mapping[str, str], buckets: Sequence[str], length: int, per_status: Mapping[str, tuple[int, int]]
) -> list[dict[str, str]]:
    """Counters growing by a fixed amount each minute: (requests, of which slower than every bucket) per status."""
    series: list[dict[str, str]] = []
    for status, (count, slow) in sorted(per_status.items()):
        own = {**labels, "status": status}
        series.append(_counter(REQUESTS, own, count, length))
        for le in buckets:
            series.append(_counter(f"{HISTOGRAM}_bucket", {**own, "le": le}, count - slow, length))
        series.append(_counter(f"{HISTOGRAM}_bucket", {**own, "le": "+Inf"}, count, length))
        series.append(_counter(f"{HISTOGRAM}_count", own, count, length))
        series.append(_counter(f"{HISTOGRAM}_sum", own, count, length))
    return series


def _counter(name: str, labels: Mapping[str, str], per_minute: int, length: int) -> dict[str, str]:
    rendered = ", ".join(f'{key}="{_escape(value)}"' for key, value in sorted(labels.items()))
    return {"series": f"{name}{{{rendered}}}", "values": f"0+{per_minute}x{length}"}


def _test_group(
    series: list[dict[str, str]], expr: str, eval_minutes: int, expected: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "interval": "1m",
        "input_series": series,
        "promql_expr_test": [{"expr": expr, "eval_time": f"{eval_minutes}m", "exp_samples": expected}],
    }


def _minutes(duration: str) -> int:
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(duration))
    return int(-(-seconds // 60))


def _alternation(names: Iterable[str]) -> str:
    """A regex matching exactly `names`, escaped for a PromQL double-quoted string."""
    return _escape("|".join(re.escape(name) for name in names))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("inf")
