"""`groundwork check`'s topic rule (GW_CATALOG_2, stage policy): the topics a service's GitOps entry says it
publishes and consumes (`publishes`, `consumes` in its `.copier-answers.yml`, what its image was built with)
against the catalog. A topic is declared by an `asyncapi` API; its publisher provides that API and every
consumer lists it in `consumesApis`, as an HTTP caller lists the APIs it calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import yaml

from groundwork.catalog.load import Catalog
from groundwork.catalog.topics import DeclaredTopics, declared_topics
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


def _topics(answers: dict[str, object], key: str) -> list[str]:
    value = answers.get(key)
    return [topic for topic in value] if isinstance(value, list) else []


def _problems(app: str, answers: dict[str, object], declared: DeclaredTopics) -> Iterable[tuple[str, str, str]]:
    """(answers key, topic, message) for each topic the catalog does not back."""
    for topic in _topics(answers, "publishes"):
        if app not in declared.owners.get(topic, set()):
            others = sorted(declared.owners.get(topic, set()))
            owned = f"; it is owned by {', '.join(others)}" if others else ""
            yield (
                "publishes",
                topic,
                f"{app} publishes topic '{topic}', which its catalog Component does not provide as an API of type "
                f"asyncapi{owned}: the owner declares a topic (copier update renders the API from `publishes`)",
            )
    for topic in _topics(answers, "consumes"):
        if not declared.owners.get(topic):
            yield (
                "consumes",
                topic,
                f"{app} consumes topic '{topic}', which no service declares (no API of type asyncapi in the catalog "
                "names it and no Component provides one): consume only declared topics, or have its owner declare it",
            )
        elif app not in declared.consumers.get(topic, set()):
            apis = ", ".join(sorted(declared.apis.get(topic, set())))
            yield (
                "consumes",
                topic,
                f"{app} consumes topic '{topic}' but its catalog Component does not list {apis} in consumesApis: "
                "declare it (copier update renders it from `consumes`)",
            )


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
        for key, topic, message in _problems(target.app, answers, declared):
            finding = Finding.on_target(target, entry, Stage.POLICY, TOPIC_RULE, message)
            findings.append(replace(finding, line=_line(text, key, topic)))
    return findings
