"""`groundwork check`'s topic rule (GW_CATALOG_2, stage policy): the topics a service's GitOps entry says it
publishes and consumes (`publishes`, `consumes` in its `.copier-answers.yml`, what its image was built with)
against the catalog. A topic is declared by an `asyncapi` API; its publisher provides that API and every
consumer lists it in `consumesApis`, as an HTTP caller lists the APIs it calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import yaml

from groundwork.catalog.load import Catalog
from groundwork.catalog.topics import declared_topics, topic_names, topic_problems
from groundwork.check.model import Finding, Stage, Target
from groundwork.paths import ANSWERS_FILE, OVERLAYS_DIR

TOPIC_RULE = "GW_CATALOG_2"


def _line(text: str, key: str, topic: str) -> int | None:
    """The line of `- topic` under the top-level `key:` of an answers file."""
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith((" ", "-")):
            inside = line.split(":", 1)[0] == key
        elif inside and line.strip().lstrip("- ").strip("'\"") == topic:
            return number
    return None


def topic_findings(catalog: Catalog, targets: Iterable[Target]) -> list[Finding]:
    declared = declared_topics(catalog)
    findings: list[Finding] = []
    for target in targets:
        app_dir = target.path.parent.parent if target.path.parent.name == OVERLAYS_DIR else target.path
        entry = app_dir / ANSWERS_FILE
        if not entry.is_file():
            continue
        text = entry.read_text(encoding="utf-8")
        answers = yaml.safe_load(text)
        if not isinstance(answers, dict) or answers.get("events") != "kafka":
            continue
        publishes, consumes = topic_names(answers.get("publishes")), topic_names(answers.get("consumes"))
        for key, topic, message in topic_problems(target.app, publishes, consumes, declared):
            finding = Finding.on_target(target, entry, Stage.POLICY, TOPIC_RULE, message)
            findings.append(replace(finding, line=_line(text, key, topic)))
    return findings
