"""The Markdown of the pull request comment (pure). GitHub caps a comment at 65,536 characters: diffs that do not
fit are named, not shown, with the command that prints them all."""

from __future__ import annotations

import re
from collections.abc import Sequence

from groundwork.prdiff.diff import UnitDiff
from groundwork.prdiff.readiness import ReadinessDelta

MARKER = "<!-- groundwork:pr-comment -->"
BUDGET = 60_000
SYMBOL = {"pass": "pass", "warn": "warn", "fail": "FAIL", "absent": "-"}


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _unit_block(unit: UnitDiff) -> str:
    if unit.error is not None:
        return f"#### `{unit.unit}`\n\nDoes not render: {unit.error}\n"
    parts = []
    for item in unit.objects:
        fence = _fence(item.diff)
        parts.append(f"**{item.change}** `{item.key}`\n\n{fence}diff\n{item.diff}\n{fence}\n")
    summary = ", ".join(f"{unit.count(c)} {c}" for c in ("added", "changed", "removed") if unit.count(c))
    return f"<details><summary><code>{unit.unit}</code>: {summary}</summary>\n\n" + "\n".join(parts) + "\n</details>\n"


def diff_section(units: Sequence[UnitDiff], base: str, head: str, budget: int) -> str:
    changed = [u for u in units if u.changed]
    same = len(units) - len(changed)
    lines = [
        "## What merging changes in the clusters",
        "",
        f"`gitops/` rendered as Argo CD renders it, at base `{base[:12]}` and at this pull request `{head[:12]}`.",
        "",
    ]
    if not units:
        return "\n".join(
            [*lines, "No file this pull request changes is rendered: nothing changes in the clusters.", ""]
        )
    if not changed:
        return "\n".join(
            [
                *lines,
                f"The {len(units)} affected targets render exactly as before: nothing changes in the clusters.",
                "",
            ]
        )
    lines += [
        f"{len(changed)} of {len(units)} affected targets change"
        + (f" ({same} render exactly as before)." if same else "."),
        "",
        "| target | added | changed | removed |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| `{u.unit}` | "
            + (
                "does not render | | |"
                if u.error is not None
                else f"{u.count('added')} | {u.count('changed')} | {u.count('removed')} |"
            )
            for u in changed
        ),
        "",
    ]
    text = "\n".join(lines)
    left_out: list[str] = []
    for unit in changed:
        block = _unit_block(unit)
        if len(text) + len(block) > budget:
            left_out.append(unit.unit)
            continue
        text += "\n" + block
    if left_out:
        names = ", ".join(f"`{name}`" for name in left_out)
        text += (
            f"\nToo long for one comment, not shown: {names}. Print everything with "
            f"`groundwork pr-comment --base {base[:12]} --head {head[:12]}`.\n"
        )
    return text


def readiness_section(delta: ReadinessDelta) -> str:
    lines = [f"## Readiness: {delta.score_before}/{delta.total} -> {delta.score_after}/{delta.total}", ""]
    if not delta.items and not delta.checks:
        return "\n".join([*lines, "No readiness check changes.", ""])
    if delta.items:
        lines += ["| item | before | after |", "| --- | --- | --- |"]
        lines += [f"| {title} | {SYMBOL.get(b, b)} | {SYMBOL.get(a, a)} |" for title, b, a in delta.items]
        lines.append("")
    if delta.checks:
        lines += ["| item | check | about | before | after | now |", "| --- | --- | --- | --- | --- | --- |"]
        lines += [
            f"| {c.item} | `{c.check}` | {c.subject or 'fleet'} | {SYMBOL.get(c.before, c.before)} | "
            f"{SYMBOL.get(c.after, c.after)} | {c.message.replace('|', '/')} |"
            for c in delta.checks
        ]
        lines.append("")
    return "\n".join(lines)


def render_comment(
    units: Sequence[UnitDiff], base: str, head: str, readiness: ReadinessDelta | None = None, budget: int = BUDGET
) -> str:
    tail = readiness_section(readiness) if readiness is not None else ""
    body = diff_section(units, base, head, budget - len(tail) - len(MARKER) - 2)
    return "\n".join(part for part in (MARKER, body, tail) if part).rstrip() + "\n"
