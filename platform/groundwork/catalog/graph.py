"""The declared call graph and the context map, derived from the catalog.

A call is declared when a Component consumes an API that another Component provides: `order` consumes
`payment-api`, `payment` provides it, so `order -> payment`. Consuming an `asyncapi` API (a topic) is no
call: the broker sits between the two (groundwork.catalog.topics). Each service's domain is its System's
`spec.domain`; a call whose two ends sit in different domains crosses a boundary. Only the descriptor a
service's GitOps entry renders counts here; another one is an ownership claim, judged elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from groundwork.catalog.asyncapi import ASYNCAPI
from groundwork.catalog.entities import Component, Ref, Where
from groundwork.catalog.load import Catalog


@dataclass(frozen=True)
class Call:
    caller: str
    callee: str
    api: str
    caller_domain: str | None
    callee_domain: str | None
    where: Where

    @property
    def cross_domain(self) -> bool:
        return self.caller_domain != self.callee_domain

    def as_json(self) -> dict[str, object]:
        return {
            "from": self.caller,
            "to": self.callee,
            "api": self.api,
            "from_domain": self.caller_domain,
            "to_domain": self.callee_domain,
            "cross_domain": self.cross_domain,
            "declared_at": str(self.where),
        }


@dataclass(frozen=True)
class DanglingApi:
    """A consumesApis entry that no Component provides (or that two provide)."""

    component: str
    api: Ref
    providers: tuple[str, ...]
    where: Where


@dataclass
class CallGraph:
    calls: list[Call] = field(default_factory=list)
    dangling: list[DanglingApi] = field(default_factory=list)
    domains: dict[str, str | None] = field(default_factory=dict)

    def callers_of(self, service: str) -> dict[str, Call]:
        return {call.caller: call for call in self.calls if call.callee == service}

    def callees_of(self, service: str) -> dict[str, Call]:
        return {call.callee: call for call in self.calls if call.caller == service}

    def context_map(self) -> dict[str, object]:
        """Domains with their services, and every declared call, cross-domain ones flagged."""
        by_domain: dict[str, list[str]] = defaultdict(list)
        for service, domain in sorted(self.domains.items()):
            by_domain[domain or "(none)"].append(service)
        return {
            "domains": {domain: services for domain, services in sorted(by_domain.items())},
            "calls": [call.as_json() for call in self.calls],
            "cross_domain_calls": sum(1 for call in self.calls if call.cross_domain),
        }


def domain_of(catalog: Catalog, component: Component) -> str | None:
    """The domain of `component`'s System, or None when the system or its domain is not in the catalog."""
    if component.system is None:
        return None
    system = catalog.systems.get(component.system)
    if system is None or system.domain is None:
        return None
    return system.domain.name if system.domain in catalog.domains else None


def declared_graph(catalog: Catalog) -> CallGraph:
    graph = CallGraph()
    primary = {name: descriptors[0] for name, descriptors in catalog.components.items()}  # the entry's first
    providers: dict[Ref, list[str]] = defaultdict(list)
    for name, component in primary.items():
        graph.domains[name] = domain_of(catalog, component)
        for api in component.provides_apis:
            providers[api].append(name)
    events = {ref for ref, api in catalog.apis.items() if api.type == ASYNCAPI}  # topics, not calls
    for name, component in sorted(primary.items()):
        for index, api in enumerate(component.consumes_apis):
            if api in events:
                continue
            where = component.at("spec", "consumesApis", index)
            owners = providers.get(api, [])
            if len(owners) != 1:
                graph.dangling.append(DanglingApi(name, api, tuple(owners), where))
                continue
            callee = owners[0]
            graph.calls.append(Call(name, callee, api.name, graph.domains[name], graph.domains.get(callee), where))
    return graph
