"""The gate's verdict for people (grouped text) and for machines (`--json`)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from groundwork.check.model import Finding, Report, Stage, Target

_STAGE_ORDER = {stage: n for n, stage in enumerate(Stage)}


def _display(path: Path | None, root: Path) -> str:
    if path is None:
        return ""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _where(finding: Finding, root: Path) -> str:
    """The finding's file, plus the overlay it was rendered through when the file lies outside it."""
    file = _display(finding.file, root)
    if finding.line is not None:
        file = f"{file}:{finding.line}"
    target = finding.target
    if target is None or finding.file == target or target in finding.file.parents:
        return file
    return f"{file} (via {_display(target, root)})"


def _groups(report: Report) -> list[tuple[Target | None, list[Finding]]]:
    """Findings per target (app, then environment, in discovery order), sorted by stage, file and rule."""
    by_target: dict[tuple[str, str, Path | None], list[Finding]] = {}
    for finding in report.findings:
        by_target.setdefault((finding.app, finding.env, finding.target), []).append(finding)
    groups: list[tuple[Target | None, list[Finding]]] = []
    for target in report.targets:
        found = by_target.pop((target.app, target.env, target.path), [])
        groups.append((target, sorted(found, key=lambda f: (_STAGE_ORDER[f.stage], str(f.file), f.rule, f.resource))))
    for (_app, _env, _path), found in by_target.items():  # findings not tied to a discovered target
        groups.append((None, found))
    return groups


def render_text(report: Report) -> str:
    lines = [f"groundwork check {report.root}"]
    failing = 0
    for target, findings in _groups(report):
        if not findings:
            continue
        failing += 1
        app, env = (target.app, target.env) if target else (findings[0].app, findings[0].env)
        where = f"  ({_display(target.path, report.root)})" if target else ""
        lines.append("")
        lines.append(f"{app} / {env}{where}: {len(findings)} finding{'s' if len(findings) != 1 else ''}")
        for f in findings:
            resource = f" {f.resource}:" if f.resource else ":"
            lines.append(f"  {f.app}/{f.env} {_where(f, report.root)} [{f.stage} {f.rule}]{resource} {f.message}")
    lines += _extras(report)
    lines.append("")
    lines += judged(report)
    scope = _scope(report)
    if scope:
        lines.append(scope)
    lines.append(_summary(report, failing))
    return "\n".join(lines)


def _extras(report: Report) -> list[str]:
    """Warnings, what could not be judged here (by name, with the reason), and what an allowance let pass."""
    lines: list[str] = []
    if report.warnings:
        lines += ["", f"{len(report.warnings)} warning{'s' if len(report.warnings) != 1 else ''} (not failing):"]
        for f in sorted(report.warnings, key=lambda w: (str(w.file), w.line)):
            lines.append(f"  {f.app}/{f.env} {_where(f, report.root)} [{f.stage} {f.rule}] {f.message}")
    if report.not_judged:
        lines += ["", f"NOT JUDGED: {len(report.not_judged)} target{'s' if len(report.not_judged) != 1 else ''}:"]
        for target, reason in report.not_judged:
            lines.append(f"  {target.label} ({_display(target.path, report.root)}): {reason}")
    if report.allowed:
        lines += ["", f"{len(report.allowed)} finding{'s' if len(report.allowed) != 1 else ''} allowed:"]
        for f, reason in report.allowed:
            lines.append(f"  {f.app}/{f.env} [{f.rule}] {f.resource}: {reason}")
    return lines


def _scope(report: Report) -> str:
    """What was not judged afresh, and why (--changed-since, the results cache)."""
    parts = []
    if report.since is not None:
        if report.everything_because:
            parts.append(f"changed since {report.since}: everything judged ({report.everything_because})")
        else:
            parts.append(
                f"changed since {report.since}: {len(report.targets) - len(report.unchanged)} targets judged, "
                f"{len(report.unchanged)} unchanged (not judged: they passed at {report.since})"
            )
    if report.cached:
        parts.append(f"{len(report.cached)} verdicts from the results cache (same inputs, same verdict)")
    return "; ".join(parts)


# What each stage's judge is, as the report names it (check/README.md describes them in full).
JUDGES = {
    Stage.RENDER: "kustomize build of every overlay",
    Stage.SCHEMA: (
        "strict schemas (Kubernetes, Istio, prometheus-operator, Argo CD, CloudNativePG; unknown fields rejected)"
    ),
    Stage.POLICY: "checkov with policies/ and the native cross-resource rules",
    Stage.RULES: "promtool on every rule file, with generated SLO alert unit tests",
}


def judged(report: Report) -> list[str]:
    """What the gate looked at, so '0 findings' never reads as 'nothing checked' (unchanged targets, passed at
    --changed-since REF, were not looked at and are not named)."""
    unchanged = set(report.unchanged)  # a set: a list is searched once per target (quadratic at 600 targets)
    looked_at = [t for t in report.targets if t not in unchanged]
    apps = sorted({t.app for t in looked_at if t.service})
    others = sorted({t.app for t in looked_at if not t.service})
    envs = Counter(t.env for t in looked_at if t.service)
    overlays = ", ".join(f"{env} {count}" for env, count in sorted(envs.items()))
    lines = [
        f"judged: {len(apps)} apps ({', '.join(apps) or 'none'}), {sum(envs.values())} overlays ({overlays or 'none'}),"
        f" {len(others)} platform trees ({', '.join(others) or 'none'}), {report.documents} documents",
    ]
    lines += [f"  {stage}: {JUDGES[stage]}" for stage in Stage]
    return lines


def _summary(report: Report, failing: int) -> str:
    services = {t.app for t in report.targets if t.service}
    counts = Counter(f.stage for f in report.findings)
    stages = ", ".join(f"{stage} {counts.get(stage, 0)}" for stage in Stage)
    verdict = "PASSED" if report.ok else "FAILED"
    if report.ok and report.not_judged:
        verdict = f"PASSED (except {len(report.not_judged)} not judged, listed above)"
    return (
        f"{verdict}: {len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} in {failing} of "
        f"{len(report.targets)} targets ({len(services)} services), {report.documents} documents checked ({stages})"
    )


def _item(f: Finding, root: Path) -> dict[str, Any]:
    return {
        "file": _display(f.file, root),
        "line": f.line,
        "stage": str(f.stage),
        "rule": f.rule,
        "resource": f.resource,
        "message": f.message,
    }


def _how(target: Target | None, unchanged: set[Target], cached: set[Target]) -> str:
    """fresh (rendered and judged in this run), cached (same inputs as a judged run) or unchanged (not judged:
    nothing it reads changed since --changed-since)."""
    if target in unchanged:
        return "unchanged"
    return "cached" if target in cached else "fresh"


def render_json(report: Report) -> str:
    counts = Counter(f.stage for f in report.findings)
    groups: list[dict[str, Any]] = []
    unchanged, cached = set(report.unchanged), set(report.cached)
    for target, findings in _groups(report):
        groups.append(
            {
                "app": target.app if target else findings[0].app,
                "env": target.env if target else findings[0].env,
                "path": _display(target.path, report.root) if target else None,
                "ok": not findings,
                "judged": _how(target, unchanged, cached),
                "findings": [_item(f, report.root) for f in findings],
            }
        )
    document = {
        "ok": report.ok,
        "root": str(report.root),
        "summary": {
            "targets": len(report.targets),
            "services": len({t.app for t in report.targets if t.service}),
            "documents": report.documents,
            "findings": len(report.findings),
            "by_stage": {str(stage): counts.get(stage, 0) for stage in Stage},
            "warnings": len(report.warnings),
            "not_judged": len(report.not_judged),
            "allowed": len(report.allowed),
            "since": report.since,
            "everything_because": report.everything_because or None,
            "unchanged": len(report.unchanged),
            "cached": len(report.cached),
        },
        "targets": groups,
        "warnings": [_item(f, report.root) for f in report.warnings],
        "not_judged": [
            {"app": t.app, "env": t.env, "path": _display(t.path, report.root), "reason": reason}
            for t, reason in report.not_judged
        ],
        "allowed": [{**_item(f, report.root), "app": f.app, "env": f.env, "reason": why} for f, why in report.allowed],
    }
    return json.dumps(document, indent=2)
