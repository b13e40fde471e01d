"""Run the whole gate on a repository: render, then schema, policy and rules stages, into one Report.

The stages overlap: kustomize batches render in `workers` processes while this thread validates each batch's
documents as it lands; checkov and promtool then judge everything in one batch run each (measured at 200 apps
in bench/check: one batch is no slower than parts handed over during rendering, so there are no parts).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from groundwork.check.catalog_rule import catalog_findings
from groundwork.check.discover import discover, locate
from groundwork.check.guardrails import guardrail_findings
from groundwork.check.helm.allowances import apply_allowances
from groundwork.check.helm.render import AddonRun
from groundwork.check.helm.stage import gate_targets, run_addons
from groundwork.check.judges import require_judges
from groundwork.check.limits import size_findings, unreached_findings
from groundwork.check.model import Document, Finding, Report, Target
from groundwork.check.policy import Policies, checkov_kinds, find_policies, run_native, run_policies, start_checkov
from groundwork.check.positions import Positions
from groundwork.check.render import Rendered, find_kubectl, render_stream
from groundwork.check.rules.promtool import find_promtool, run_rules
from groundwork.check.validate import models
from groundwork.check.validate.core import KUBERNETES_VERSION
from groundwork.check.validate.dispatch import SchemaJudge
from groundwork.paths import APPS_DIR
from groundwork.tools import StartedCheckov


@dataclass(frozen=True)
class CheckOptions:
    """How to run the gate: parallelism, the Kubernetes version to validate against, the npm cache folder."""

    workers: int = 2
    kubernetes_version: str = KUBERNETES_VERSION
    cache: Path | None = None


def run_check(path: Path, options: CheckOptions, progress: Callable[[str], None] = lambda _: None) -> Report:
    """The whole gate on `path`; `progress` hears each stage as it finishes (the CLI's progress line)."""
    root, gitops = locate(path)
    require_judges()
    return judge_targets(root, gitops, gate_targets(discover(gitops), gitops), options, progress)


def judge_targets(
    root: Path,
    gitops: Path,
    targets: list[Target],
    options: CheckOptions,
    progress: Callable[[str], None] = lambda _: None,
    fleet: list[Target] | None = None,
) -> Report:
    """Render and judge `targets` (of the tree `gitops` of the repository at `root`) with every stage. `fleet`
    is every target of the tree (default: `targets`): whether a file of an app is reached is decided by all of
    the app's overlays, also those not judged now."""
    kubectl = find_kubectl()
    promtool = find_promtool()
    policies = find_policies(root)
    judge = SchemaJudge(options.kubernetes_version, options.cache, root)
    report = Report(root=root, targets=targets)
    started = time.monotonic()

    def mark(event: str) -> None:
        report.timings.append((event, time.monotonic() - started))
        progress(event)

    def marked(future: Future[list[Finding]], event: str) -> Future[list[Finding]]:
        future.add_done_callback(lambda _: mark(event))
        return future

    progress(f"rendering {len(report.targets)} overlays of {len({t.app for t in report.targets})} apps")
    threading.Thread(target=models.preload, name="groundwork-preload", daemon=True).start()
    documents: list[Document] = []
    with (
        ThreadPoolExecutor(options.workers) as checkov,
        ThreadPoolExecutor(1) as promtool_thread,
        ThreadPoolExecutor(1) as side,
        contextlib.ExitStack() as cleanup,
    ):
        kinds = side.submit(checkov_kinds, policies)  # cached after the first run
        # checkov imports itself (seconds) while kustomize renders; not for add-ons alone (they may render nothing)
        warm = checkov.submit(start_checkov, policies) if any(t.mode != "helm" for t in report.targets) else None
        if warm is not None:
            cleanup.callback(_let_go, warm)  # when a stage fails before checkov was handed its files
        helm_targets = [t for t in report.targets if t.mode == "helm"]
        addons = side.submit(run_addons, helm_targets, root, gitops, options.kubernetes_version)
        for rendered in chain(render_stream(report.targets, kubectl, root, options.workers), _addons(addons)):
            report.findings += rendered.findings
            documents += rendered.documents
            report.findings += judge.judge(rendered.documents)  # in-process, while kustomize keeps rendering
        mark(f"rendered and schema-checked in-process ({len(documents)} documents)")
        relevant = kinds.result()  # checkov reads only the kinds its allowlisted checks look at
        shown = [d for d in documents if relevant is None or d.kind in relevant]
        judged = [
            marked(checkov.submit(_policies, shown, policies, warm), f"checkov ({len(shown)} documents)"),
            marked(promtool_thread.submit(run_rules, documents, promtool, options.workers), "promtool"),
        ]
        judged.append(marked(side.submit(judge.finish), "Argo CD / External Secrets schemas (node)"))
        report.findings += run_native(documents)
        report.findings += guardrail_findings(documents)  # PSS control by control, RBAC
        report.findings += size_findings(documents)  # the API server's object size limits
        apps = {t.app for t in report.targets}
        whole = [t for t in (fleet or report.targets) if t.app in apps]
        report.findings += unreached_findings(whole, gitops / APPS_DIR)  # files nothing renders
        report.findings += catalog_findings(root, documents)  # GW_CATALOG_1: mesh policy vs declared callers
        mark("native policies")
        for future in judged:
            report.findings += future.result()
        report.warnings += addons.result().warnings
        report.not_judged += addons.result().not_judged
    positions = Positions()  # the source line of each finding, through the kustomization graph
    report.findings = [positions.place(f) for f in report.findings]
    report.findings, report.allowed = apply_allowances(report.findings, report.targets, policies.base)
    report.documents = len(documents)
    report.documents_by_target = dict(Counter(document.target for document in documents))
    return report


def _policies(documents: list[Document], policies: Policies, warm: Future[StartedCheckov] | None) -> list[Finding]:
    return run_policies(documents, policies, started=warm.result() if warm is not None else None)


def _let_go(warm: Future[StartedCheckov]) -> None:
    with contextlib.suppress(Exception):  # it failed to start: the checkov stage has reported why
        warm.result().cancel()


def _addons(run: Future[AddonRun]) -> Iterator[Rendered]:
    """The Helm add-ons' documents and findings, as rendered targets (once Helm has rendered them all)."""
    result = run.result()
    findings: dict[Target, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        target = next((t for t in result.documents if t.path == finding.target and t.env == finding.env), None)
        findings[target or Target(finding.app, finding.env, finding.target or finding.file, "helm")].append(finding)
    for target in dict.fromkeys([*result.documents, *findings]):
        yield Rendered(result.documents.get(target, []), findings.get(target, []), target)
