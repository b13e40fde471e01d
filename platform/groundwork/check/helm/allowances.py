"""Findings a chart produces by design, allowed per add-on with a reason (`policies/helm/allowances.yaml`).

    <add-on>:
      - rule: CKV_K8S_19                       # the finding's rule
        resource: DaemonSet kube-system/*      # its resource (shell pattern)
        reason: node-exporter reads the host's network counters

An allowance without a reason, or naming no rule, is itself a finding: the file is the record of why each
exception is there. Allowances apply to Helm add-ons only; an app's exceptions are its own manifests' business.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path

import yaml

from groundwork.check.model import NO_ENV, Finding, Stage, Target
from groundwork.paths import POLICIES_DIR

ALLOWANCES_FILE = Path(POLICIES_DIR) / "helm" / "allowances.yaml"


def apply_allowances(
    findings: Sequence[Finding], targets: Sequence[Target], base: Path
) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    """(findings still standing, findings allowed with the reason)."""
    helm = {(t.app, t.env, t.path) for t in targets if t.mode == "helm"}
    if not helm:
        return list(findings), []
    path = base / ALLOWANCES_FILE
    rules, problems = _load(path)
    kept: list[Finding] = list(problems)
    allowed: list[tuple[Finding, str]] = []
    for finding in findings:
        reason = None
        if (finding.app, finding.env, finding.target) in helm and finding.stage == Stage.POLICY:
            reason = next(
                (
                    why
                    for rule, pattern, why in rules.get(finding.app, [])
                    if rule == finding.rule and fnmatch.fnmatchcase(finding.resource, pattern)
                ),
                None,
            )
        if reason is None:
            kept.append(finding)
        else:
            allowed.append((finding, reason))
    return kept, allowed


def _load(path: Path) -> tuple[dict[str, list[tuple[str, str, str]]], list[Finding]]:
    if not path.is_file():
        return {}, []
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        return {}, [_problem(path, f"cannot be read: {type(error).__name__}")]
    if not isinstance(content, dict):
        return {}, [_problem(path, "is not a mapping of add-on names to allowances")]
    rules: dict[str, list[tuple[str, str, str]]] = {}
    problems = []
    for addon, entries in content.items():
        for number, entry in enumerate(entries if isinstance(entries, list) else [None], start=1):
            fields = entry if isinstance(entry, dict) else {}
            rule, resource, reason = (str(fields.get(k) or "").strip() for k in ("rule", "resource", "reason"))
            if not rule or not reason:
                problems.append(_problem(path, f"{addon} allowance {number} needs a rule and a reason"))
                continue
            rules.setdefault(str(addon), []).append((rule, resource or "*", reason))
    return rules, problems


def _problem(path: Path, message: str) -> Finding:
    return Finding("allowances", NO_ENV, path, Stage.POLICY, "helm-allowance", message)
