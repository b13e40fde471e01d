"""Topics as the catalog declares them: each `asyncapi` API names its topics (its AsyncAPI document's channel
addresses), the Component that provides the API owns and publishes them, and a Component that lists the API
in `consumesApis` consumes them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from groundwork.catalog.asyncapi import ASYNCAPI
from groundwork.catalog.load import Catalog


@dataclass(frozen=True)
class DeclaredTopics:
    owners: dict[str, set[str]] = field(default_factory=dict)  # topic -> the components providing its API
    apis: dict[str, set[str]] = field(default_factory=dict)  # topic -> the names of the APIs declaring it
    consumers: dict[str, set[str]] = field(default_factory=dict)  # topic -> the components consuming it


def declared_topics(catalog: Catalog) -> DeclaredTopics:
    events = {ref: api for ref, api in catalog.apis.items() if api.type == ASYNCAPI}
    declared = DeclaredTopics(defaultdict(set), defaultdict(set), defaultdict(set))
    for api in events.values():
        for topic in api.topics:
            declared.apis[topic].add(api.name)
    for name in catalog.components:
        component = catalog.component(name)
        if component is None:
            continue
        for ref in component.provides_apis:
            for topic in events[ref].topics if ref in events else ():
                declared.owners[topic].add(name)
        for ref in component.consumes_apis:
            for topic in events[ref].topics if ref in events else ():
                declared.consumers[topic].add(name)
    return declared


def topic_names(value: object) -> list[str]:
    """A `publishes`/`consumes` answer as topic names ([] when it is not a list)."""
    return [str(topic) for topic in value] if isinstance(value, list) else []


def topic_problems(
    app: str, publishes: list[str], consumes: list[str], declared: DeclaredTopics
) -> list[tuple[str, str, str]]:
    """(answer key, topic, message) for each topic `app` publishes or consumes that the catalog does not back."""
    problems: list[tuple[str, str, str]] = []
    for topic in publishes:
        if app not in declared.owners.get(topic, set()):
            others = sorted(declared.owners.get(topic, set()))
            owned = f"; it is owned by {', '.join(others)}" if others else ""
            problems.append(
                (
                    "publishes",
                    topic,
                    f"{app} publishes topic '{topic}', which its catalog Component does not provide as an API of "
                    f"type asyncapi{owned}: the owner declares a topic (copier update renders the API from "
                    "`publishes`)",
                )
            )
    for topic in consumes:
        if not declared.owners.get(topic):
            problems.append(
                (
                    "consumes",
                    topic,
                    f"{app} consumes topic '{topic}', which no service declares (no API of type asyncapi in the "
                    "catalog names it and no Component provides one): consume only declared topics, or have its "
                    "owner declare it",
                )
            )
        elif app not in declared.consumers.get(topic, set()):
            apis = ", ".join(sorted(declared.apis.get(topic, set())))
            problems.append(
                (
                    "consumes",
                    topic,
                    f"{app} consumes topic '{topic}' but its catalog Component does not list {apis} in "
                    "consumesApis: declare it (copier update renders it from `consumes`)",
                )
            )
    return problems
