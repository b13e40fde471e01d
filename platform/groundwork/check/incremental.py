"""The gate as the command runs it: only what needs judging is judged.

1. `--changed-since REF` (pull requests): targets none of whose inputs changed since REF are not judged (REF,
   the base branch, passed the full gate when it merged); everything is judged when a shared input changed.
2. The results cache (`results.py`): a target whose inputs and shared inputs hash to a key already judged
   takes that verdict. A re-run with nothing changed renders nothing and starts no judge.
3. What is left is rendered and judged together by `runner.judge_targets`, and its verdicts are cached.

Without REF and without a cache this is exactly `runner.run_check`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from groundwork.check.changes import changed_paths, impact
from groundwork.check.discover import discover, locate
from groundwork.check.helm.stage import chart_archives, gate_targets
from groundwork.check.inputs import FileReads, shared_paths, target_inputs, tree_digest
from groundwork.check.judges import require_judges
from groundwork.check.model import NO_ENV, Finding, Report, Target
from groundwork.check.results import ResultCache, shared_digest
from groundwork.paths import APPS_DIR, POLICIES_DIR


@dataclass(frozen=True)
class GateOptions:
    """How the command runs the gate: parallelism, the base revision, the results cache folder (None: off)."""

    workers: int = 2
    since: str | None = None
    results: Path | None = None


def run_gate(path: Path, gate: GateOptions, progress: Callable[[str], None] = lambda _: None) -> Report:
    # The runner imports every schema and model (seconds): only when something is left to judge.
    from groundwork.check.policy import find_policies  # the policies folder is a shared input

    root, gitops = locate(path)
    require_judges()
    targets = gate_targets(discover(gitops), gitops)
    policies = find_policies(root)
    extra = [policies.base / POLICIES_DIR] if policies.base != root else []
    charts = chart_archives(root, gitops) if any(t.mode == "helm" for t in targets) else {}
    inputs = {target: target_inputs(target, gitops, charts.get(target.app)) for target in targets}
    report = Report(root=root, targets=targets, since=gate.since)

    todo = list(targets)
    if gate.since is not None:
        found = impact(root, gitops, targets, inputs, changed_paths(root, gate.since), extra)
        report.everything_because = found.everything_because
        todo = list(found.affected)
        affected = set(todo)
        report.unchanged = [t for t in targets if t not in affected]

    keys: dict[Target, str] = {}
    if gate.results is not None and todo:
        cache = ResultCache(gate.results, root)
        shared = shared_digest(tree_digest(shared_paths(root, extra), root))
        fresh: list[Target] = []
        reads = FileReads()
        for target in todo:
            digest = inputs[target].digest(root, reads)
            hit = None
            if digest is not None:
                keys[target] = ResultCache.key(shared, target, digest)
                hit = cache.get(keys[target], target)
            if hit is None:
                fresh.append(target)
            else:
                report.cached.append(target)
                report.documents += hit.documents
                report.findings += hit.findings
                report.warnings += hit.warnings
                if hit.not_judged is not None:
                    report.not_judged.append((target, hit.not_judged))
        todo = fresh

    if todo:
        from groundwork.check.runner import CheckOptions, judge_targets

        judged = judge_targets(root, gitops, todo, CheckOptions(workers=gate.workers), progress, fleet=targets)
        report.documents += judged.documents
        report.findings += judged.findings
        report.timings = judged.timings
        report.warnings += judged.warnings
        report.not_judged += judged.not_judged
        report.allowed += judged.allowed
        if gate.results is not None:
            _store(ResultCache(gate.results, root), keys, todo, judged)
    else:
        from groundwork.check.catalog_rule import catalog_findings

        report.findings += catalog_findings(root, [])  # a malformed catalog is a finding of no target
    # Files of an app that none of its kustomizations reaches are a finding of the app, not of one target:
    # found again for the apps whose every target's verdict came from the cache.
    judged_apps = {t.app for t in todo}
    cached_apps = [t for t in report.cached if t.service and t.app not in judged_apps]
    if cached_apps and gate.results is not None:
        report.findings += _unreached(ResultCache(gate.results, root), keys, cached_apps, gitops / APPS_DIR)
    return report


def _unreached(cache: ResultCache, keys: dict[Target, str], targets: list[Target], apps_dir: Path) -> list[Finding]:
    """The unreached-file findings of the apps of `targets` (all cached): kept in the cache under the keys of
    all of an app's targets together (they read the whole app folder, and every file their graph reaches)."""
    from groundwork.check.limits import unreached_findings

    by_app: dict[str, list[Target]] = {}
    for target in targets:
        by_app.setdefault(target.app, []).append(target)
    found: list[Finding] = []
    for app, members in sorted(by_app.items()):
        key = hashlib.sha256("\0".join(["unreached-files", *sorted(keys[t] for t in members)]).encode()).hexdigest()
        hit = cache.get(key, Target(app, NO_ENV, apps_dir / app, "kustomize"))
        if hit is None:
            findings = unreached_findings(members, apps_dir)
            cache.put(key, 0, findings, [])
        found += findings if hit is None else hit.findings
    return found


def _store(cache: ResultCache, keys: dict[Target, str], judged: list[Target], report: Report) -> None:
    """Cache the verdict of every judged target; one that could not be judged is cached as such, with the
    reason, for a while (`results.NOT_JUDGED_SECONDS`: a chart that could not be pulled is tried again later)."""
    findings = _by_target(report.findings)
    warnings = _by_target(report.warnings)
    skipped = dict(report.not_judged)
    for target in judged:
        if target in keys:
            where = (target.app, target.env, target.path)
            count = report.documents_by_target.get(target, 0)
            cache.put(keys[target], count, findings.get(where, []), warnings.get(where, []), skipped.get(target))


def _by_target(findings: list[Finding]) -> dict[tuple[str, str, Path | None], list[Finding]]:
    grouped: dict[tuple[str, str, Path | None], list[Finding]] = {}
    for finding in findings:
        grouped.setdefault((finding.app, finding.env, finding.target), []).append(finding)
    return grouped
