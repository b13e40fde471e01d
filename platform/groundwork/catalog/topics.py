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
