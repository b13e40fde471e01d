"""Run the whole gate on a repository: render, then schema, policy and rules stages, into one Report.

The stages overlap: kustomize batches render in `workers` processes while this thread validates each batch's
documents as it lands; as soon as `shard_documents` documents of fully rendered apps are in, checkov and
promtool start on them (one run of each for a repository of ordinary size).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from groundwork.check.discover import discover, locate
from groundwork.check.errors import ToolMissing
from groundwork.check.model import Document, Finding, Report, Stage
from groundwork.check.policy import checkov_kinds, find_policies, run_native, run_policies
from groundwork.check.render import find_kubectl, render_stream
from groundwork.check.rules.promtool import find_promtool, run_rules
from groundwork.check.validate import models
from groundwork.check.validate.core import KUBERNETES_VERSION
from groundwork.check.validate.dispatch import SchemaJudge


@dataclass(frozen=True)
class CheckOptions:
    """How to run the gate: parallelism, the Kubernetes version to validate against, the npm cache folder."""

    workers: int = 2
    kubernetes_version: str = KUBERNETES_VERSION
    cache: Path | None = None
    # checkov links every pair of resources it sees (quadratic), and starting it early lets it run beside
    # kustomize: once this many documents (of the kinds its checks look at) of fully rendered apps are in, they
    # go to checkov and promtool as one part. A repository of ordinary size is one part: one run of each.
    shard_documents: int = 1500


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
    started = time.monotonic()

    def mark(event: str) -> None:
        report.timings.append((event, time.monotonic() - started))

    def marked(future: Future[list[Finding]], event: str) -> Future[list[Finding]]:
        future.add_done_callback(lambda _: mark(event))
        return future

    warm = threading.Thread(target=models.preload, name="groundwork-preload", daemon=True)
    warm.start()  # pydantic model classes build while kustomize runs
    documents: list[Document] = []
    remaining = Counter(target.app for target in report.targets)
    waiting: dict[str, list[Document]] = defaultdict(list)
    unit: list[Document] = []  # the documents of apps rendered in full, not yet handed to checkov and promtool
    with (
        ThreadPoolExecutor(options.workers) as checkov,
        ThreadPoolExecutor(1) as promtool_thread,
        ThreadPoolExecutor(1) as probe,
    ):
        kinds = probe.submit(checkov_kinds, policies)  # cached after the first run
        judged: list[Future[list[Finding]]] = []

        def hand_over(part: list[Document]) -> None:
            """checkov (on the kinds its checks look at) and promtool over whole apps, beside the rendering."""
            relevant = kinds.result()
            shown = [d for d in part if relevant is None or d.kind in relevant]
            number = len(judged) // 2 + 1
            judged.append(
                marked(checkov.submit(run_policies, shown, policies), f"checkov part {number} ({len(shown)} documents)")
            )
            judged.append(
                marked(promtool_thread.submit(run_rules, part, promtool, options.workers), f"promtool part {number}")
            )

        for rendered in render_stream(report.targets, kubectl, root, options.workers):
            report.findings += rendered.findings
            documents += rendered.documents
            report.findings += judge.judge(rendered.documents)  # in-process, while kustomize keeps rendering
            if rendered.target is None:
                continue
            app = rendered.target.app
            waiting[app] += rendered.documents
            remaining[app] -= 1
            if remaining[app] == 0:
                unit += waiting.pop(app)
            relevant = kinds.result()
            if sum(1 for d in unit if relevant is None or d.kind in relevant) >= options.shard_documents:
                hand_over(unit)
                unit = []
        mark(f"rendered and schema-checked in-process ({len(documents)} documents)")
        for left in waiting.values():  # only if a target was never yielded, which render_stream does not do
            unit += left
        if unit or not judged:
            hand_over(unit)
        judged.append(marked(probe.submit(judge.finish), "Argo CD / External Secrets schemas (node)"))
        report.findings += run_native(documents)
        mark("native policies")
        for future in judged:
            report.findings += future.result()
    report.documents = len(documents)
    report.stages_run = list(Stage)
    return report
