"""Run the whole gate on a repository: render, then schema, policy and rules stages, into one Report.

checkov and promtool are separate processes, so they run in background threads while this thread validates
schemas in-process; rendering uses `workers` kustomize processes at a time.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from groundwork.check.discover import discover, locate
from groundwork.check.errors import ToolMissing
from groundwork.check.model import Report, Stage
from groundwork.check.policy import find_policies, run_native, run_policies
from groundwork.check.render import find_kubectl, render_all
from groundwork.check.rules.promtool import find_promtool, run_rules
from groundwork.check.validate.core import KUBERNETES_VERSION
from groundwork.check.validate.dispatch import SchemaJudge


@dataclass(frozen=True)
class CheckOptions:
    """How to run the gate: parallelism, the Kubernetes version to validate against, the npm cache folder."""

    workers: int = 2
    kubernetes_version: str = KUBERNETES_VERSION
    cache: Path | None = None


def run_check(path: Path, options: CheckOptions) -> Report:
    root, gitops = locate(path)
    # Every judge must be there before anything runs: a gate that skips a stage would pass what it never saw.
    kubectl = find_kubectl()
    promtool = find_promtool()
    if shutil.which("uvx") is None:
        raise ToolMissing("uvx is not installed, so checkov cannot run", "install uv (https://docs.astral.sh/uv/)")
    policies = find_policies(root)
    judge = SchemaJudge(options.kubernetes_version, options.cache)

    report = Report(root=root, targets=discover(gitops))
    rendered = render_all(report.targets, kubectl, root, options.workers)
    report.documents = len(rendered.documents)
    report.findings += rendered.findings
    with ThreadPoolExecutor(2) as pool:
        policy = pool.submit(run_policies, rendered.documents, policies)
        rules = pool.submit(run_rules, rendered.documents, promtool, options.workers)
        report.findings += judge.judge(rendered.documents)
        report.findings += run_native(rendered.documents)
        report.findings += policy.result()
        report.findings += rules.result()
    report.stages_run = list(Stage)
    return report
