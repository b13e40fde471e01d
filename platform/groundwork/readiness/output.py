"""The report as a terminal table, as Markdown for a pull request comment (GitHub tables), or as JSON that
validates against `schema.json` (shipped in this package)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from groundwork.readiness.model import Check, Report, Status

FORMATS = ("table", "markdown", "json")
_MARK = {Status.PASS: "✅ pass", Status.WARN: "⚠️ warn", Status.UNPROVEN: "❔ not yet proven", Status.FAIL: "❌ fail"}


def schema() -> dict[str, Any]:
    """The JSON schema of `render_json`'s output."""
    text = resources.files("groundwork.readiness").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_table(report)


def render_json(report: Report) -> str:
    return json.dumps(report.as_json(), indent=2)


def _problems(report: Report) -> list[tuple[int, str, Check]]:
    return [
        (item.spec.number, item.spec.title, check)
        for item in report.items
        for check in item.checks
        if check.status != Status.PASS
    ]


def _subject(check: Check) -> str:
    return check.service or (f"team {check.team}" if check.team else "fleet")


def render_table(report: Report) -> str:
    rows = [("#", "item", "status", "checks passed")]
    for item in report.items:
        passed = item.count(Status.PASS) + item.count(Status.WARN)
        rows.append((str(item.spec.number), item.spec.title, item.status.label.upper(), f"{passed}/{len(item.checks)}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"groundwork readiness: {report.score}/{report.total}{_unproven(report)} ({report.repository})", ""]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    problems = _problems(report)
    if problems:
        lines += ["", "Findings:"]
        for number, _, check in problems:
            lines.append(f"  [{number}] {check.status.label.upper()} {check.name} ({_subject(check)}): {check.message}")
    calls = report.context_map.get("calls")
    if isinstance(calls, list):
        crossing = report.context_map.get("cross_domain_calls")
        lines += ["", f"Context map: {len(calls)} declared calls, {crossing} across a domain boundary"]
        for call in calls:
            where = "across domains" if call["cross_domain"] else "within its domain"
            lines.append(f"  {call['from']} ({call['from_domain']}) -> {call['to']} ({call['to_domain']}), {where}")
    lines += ["", f"Service repositories: {report.sources.get('service_repos', '')}"]
    return "\n".join(lines)


def _unproven(report: Report) -> str:
    count = len(report.unproven)
    return f", {count} not yet proven" if count else ""


def _cell(text: str) -> str:
    """One line of Markdown: `|` escaped for the table, `<`/`>` as entities (GitHub drops unknown HTML tags)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return " ".join(escaped.split())


def render_markdown(report: Report) -> str:
    warnings = f", {report.warnings} warning{'s' if report.warnings != 1 else ''}" if report.warnings else ""
    lines = [
        f"### groundwork readiness: {report.score}/{report.total}{_unproven(report)}{warnings}",
        "",
        "| # | Item | Status | Checks passed |",
        "| ---: | --- | --- | ---: |",
    ]
    for item in report.items:
        passed = item.count(Status.PASS) + item.count(Status.WARN)
        lines.append(
            f"| {item.spec.number} | {_cell(item.spec.title)} | {_MARK[item.status]} | {passed}/{len(item.checks)} |"
        )
    problems = _problems(report)
    if problems:
        lines += [
            "",
            "#### Findings",
            "",
            "| # | Check | Subject | Status | Message |",
            "| ---: | --- | --- | --- | --- |",
        ]
        for number, _, check in problems:
            cells = [str(number), check.name, _subject(check), _MARK[check.status], check.message]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    calls = report.context_map.get("calls")
    if isinstance(calls, list) and calls:
        lines += [
            "",
            "<details><summary>Context map: declared calls</summary>",
            "",
            "| From | To | From domain | To domain | Crosses a boundary |",
            "| --- | --- | --- | --- | --- |",
        ]
        for call in calls:
            crossing = "yes" if call["cross_domain"] else "no"
            lines.append(
                f"| {call['from']} | {call['to']} | {call['from_domain']} | {call['to_domain']} | {crossing} |"
            )
        lines += ["", "</details>"]
    lines += ["", f"<sub>Service repositories: {_cell(report.sources.get('service_repos', ''))}</sub>", ""]
    return "\n".join(lines)
