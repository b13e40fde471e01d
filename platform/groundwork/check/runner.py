"""Run the whole gate on a repository: render, then schema, policy and rules stages, into one Report.

The stages overlap: kustomize batches render in `workers` processes while this thread validates each batch's
documents as it lands; checkov and promtool then judge everything in one batch run each (or, with
`shard_documents` set, start on parts of fully rendered apps while rendering goes on).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from groundwork.check.catalog_rule import catalog_findings
from groundwork.check.discover import discover, locate
from groundwork.check.errors import ToolMissing
from groundwork.check.model import Document, Finding, Report, Target
from groundwork.check.policy import checkov_kinds, find_policies, run_native, run_policies
from groundwork.check.render import Rendered, find_kubectl, render_stream
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
    # None: one batch run of checkov and of promtool over everything rendered. A number: once this many
    # documents (of the kinds checkov's checks look at) of fully rendered apps are in, they go to checkov and
    # promtool as one part, beside the rendering still going on. checkov links every pair of resources it
    # sees (quadratic); measured at 200 apps (bench/check), one batch costs no more than parts of 1500.
    shard_documents: int | None = None


class _Parts:
    """Holds rendered documents back until every target of their app is in, then releases parts of whole apps
    once they hold `size` documents checkov looks at (`relevant` kinds; None means every kind). With no
    `size`, everything waits for `rest()`: one part."""

    def __init__(self, targets: list[Target], size: int | None, relevant: Callable[[], frozenset[str] | None]) -> None:
        self._remaining = Counter(target.app for target in targets)
        self._waiting: dict[str, list[Document]] = defaultdict(list)
        self._part: list[Document] = []
        self._counted = 0
        self._size = size
        self._relevant = relevant

    def add(self, rendered: Rendered) -> list[Document] | None:
        if rendered.target is None:
            return None
        app = rendered.target.app
        self._waiting[app] += rendered.documents
        self._remaining[app] -= 1
        if self._remaining[app] > 0:
            return None
        complete = self._waiting.pop(app)
        kinds = self._relevant()
        self._part += complete
        self._counted += sum(1 for d in complete if kinds is None or d.kind in kinds)
        if self._size is None or self._counted < self._size:
            return None
        part, self._part, self._counted = self._part, [], 0
        return part

    def rest(self) -> list[Document]:
        """What is left once rendering is over (every app is complete by then)."""
        part = [*self._part, *(d for docs in self._waiting.values() for d in docs)]
        self._part, self._waiting, self._counted = [], defaultdict(list), 0
        return part


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

    threading.Thread(target=models.preload, name="groundwork-preload", daemon=True).start()
    documents: list[Document] = []
    with (
        ThreadPoolExecutor(options.workers) as checkov,
        ThreadPoolExecutor(1) as promtool_thread,
        ThreadPoolExecutor(1) as side,
    ):
        kinds = side.submit(checkov_kinds, policies)  # cached after the first run
        parts = _Parts(report.targets, options.shard_documents, kinds.result)
        judged: list[Future[list[Finding]]] = []

        def hand_over(part: list[Document]) -> None:
            """checkov (on the kinds its checks look at) and promtool over whole apps, beside the rendering."""
            relevant = kinds.result()
            shown = [d for d in part if relevant is None or d.kind in relevant]
            number = len(judged) // 2 + 1
            mark(f"part {number} handed to checkov and promtool")
            event = f"checkov part {number} ({len(shown)} documents)"
            judged.append(marked(checkov.submit(run_policies, shown, policies), event))
            event = f"promtool part {number}"
            judged.append(marked(promtool_thread.submit(run_rules, part, promtool, options.workers), event))

        for rendered in render_stream(report.targets, kubectl, root, options.workers):
            report.findings += rendered.findings
            documents += rendered.documents
            report.findings += judge.judge(rendered.documents)  # in-process, while kustomize keeps rendering
            part = parts.add(rendered)
            if part is not None:
                hand_over(part)
        mark(f"rendered and schema-checked in-process ({len(documents)} documents)")
        rest = parts.rest()
        if rest or not judged:
            hand_over(rest)
        judged.append(marked(side.submit(judge.finish), "Argo CD / External Secrets schemas (node)"))
        report.findings += run_native(documents)
        report.findings += catalog_findings(root, documents)  # GW_CATALOG_1: mesh policy vs declared callers
        mark("native policies")
        for future in judged:
            report.findings += future.result()
    report.documents = len(documents)
    return report
