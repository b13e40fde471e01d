"""Print the figures: four headline lines for everything, then one row per service and environment; or JSON."""

from __future__ import annotations

import json
from datetime import datetime

from groundwork.dora import trailers as keys
from groundwork.dora.figures import ALL, Figures, Window


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 0:
        return f"-{duration(-seconds)}"
    if seconds < 60:
        return f"{round(seconds)}s"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{value}{unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if value]
    return " ".join(parts) or "0m"


def rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def per_day(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def why_missing(figures: Figures) -> dict[str, str]:
    """Why a figure is '-': each missing figure of `figures`, with the reason in words a reader can act on."""
    reasons: dict[str, str] = {}
    if figures.deployments == 0:
        none = "no deployment (overlay change) merged in the window"
        return {"deployments_per_day": none, "lead_time": none, "change_failure_rate": none, "time_to_restore": none}
    if figures.lead_time is None:
        reasons["lead_time"] = (
            f"none of the {figures.deployments} deployments carries an '{keys.IMAGE_BUILT_AT}' trailer "
            "(CI's GitOps pull request and 'groundwork promote --commit' write it)"
        )
    if figures.time_to_restore is None:
        reasons["time_to_restore"] = "no deployment was reverted or rolled back in the window, so nothing was restored"
    return reasons


def headline(total: Figures, window: Window) -> list[str]:
    missing = why_missing(total)

    def reason(name: str) -> str:
        return f": {missing[name]}" if name in missing else ""

    return [
        f"deployment frequency: {total.deployments} in {window.days:.1f} days ({per_day(total.per_day)} per day)",
        f"lead time for changes: {duration(total.lead_time)} (median of {total.lead_time_samples})"
        + reason("lead_time"),
        f"change failure rate: {rate(total.change_failure_rate)} ({total.failures} of {total.deployments})"
        + reason("change_failure_rate"),
        f"time to restore: {duration(total.time_to_restore)} (median of {total.restores})" + reason("time_to_restore"),
    ]


def render_table(rows: list[Figures], window: Window, ref: str) -> str:
    total = rows[-1]
    header = ["service", "environment", "deployments", "per day", "lead time", "failure rate", "time to restore"]
    table = [header] + [
        [
            "all" if row.service == ALL else row.service,
            "all" if row.environment == ALL else row.environment,
            str(row.deployments),
            per_day(row.per_day),
            duration(row.lead_time),
            f"{rate(row.change_failure_rate)} ({row.failures}/{row.deployments})",
            duration(row.time_to_restore),
        ]
        for row in rows
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    lines = [
        f"DORA figures of gitops/ on {ref}, {_moment(window.since)} to {_moment(window.until)}",
        *headline(total, window),
        "",
        *("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table),
    ]
    return "\n".join(lines)


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def render_json(rows: list[Figures], window: Window, ref: str) -> str:
    def row(figures: Figures) -> dict[str, object]:
        return {
            "service": figures.service,
            "environment": figures.environment,
            "deployments": figures.deployments,
            "deployments_per_day": figures.per_day,
            "lead_time_seconds": figures.lead_time,
            "lead_time_samples": figures.lead_time_samples,
            "failures": figures.failures,
            "change_failure_rate": figures.change_failure_rate,
            "restores": figures.restores,
            "time_to_restore_seconds": figures.time_to_restore,
            "missing": why_missing(figures),
        }

    document = {
        "ref": ref,
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "days": window.days,
        "total": row(rows[-1]),
        "rows": [row(r) for r in rows[:-1]],
    }
    return json.dumps(document, indent=2)
