"""Drift between the declared call graph and the AuthorizationPolicies: each kind of disagreement, and none on
the repository's fleet."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from catalog_support import REPO_ROOT, SERVICES

from groundwork.catalog.drift import INGRESS, Declared, PolicySource, declared_for, drift
from groundwork.catalog.graph import declared_graph
from groundwork.catalog.load import load_catalog

FILE = "gitops/apps/payment/base/authorizationpolicy.yaml"
METRICS_RULE = {"to": [{"operation": {"methods": ["GET"], "paths": ["/metrics"]}}]}


def policy(*principals: str, rules: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "payment"}},
        "action": "ALLOW",
        "rules": rules
        if rules is not None
        else [{"from": [{"source": {"principals": list(principals)}}]}, METRICS_RULE],
    }
    body.update(spec)
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "payment"},
        "spec": body,
    }


def sa(service: str) -> str:
    return f"cluster.local/ns/{service}/sa/{service}"


DECLARED = {
    "payment": Declared(
        "payment", {"order": "gitops/apps/order/catalog-info.yaml:38"}, False, "c:1", "gitops/apps/payment/"
    )
}


def judge(document: dict[str, Any], declared: dict[str, Declared] | None = None) -> list[tuple[str, str]]:
    found = drift(declared or DECLARED, [PolicySource("payment", FILE, "-", document)])
    for item in found:
        assert "payment" in item.message
        assert item.file in item.message or item.kind == "no-policy"
    return [(item.kind, item.caller) for item in found]


def test_exactly_the_declared_callers_is_no_drift() -> None:
    assert judge(policy(sa("order"))) == []


def test_an_undeclared_caller() -> None:
    assert judge(policy(sa("order"), sa("search"))) == [("undeclared-caller", "search")]


def test_a_declared_caller_missing() -> None:
    assert judge(policy(sa("search"))) == [("undeclared-caller", "search"), ("missing-caller", "order")]


def test_the_ingress_gateway_needs_an_exposed_component() -> None:
    ingress = "cluster.local/ns/istio-ingress/sa/istio-ingressgateway"
    assert judge(policy(sa("order"), ingress)) == [("undeclared-caller", INGRESS)]
    exposed = {"payment": Declared("payment", {"order": "x:1"}, True, "c:1")}
    assert judge(policy(sa("order"), ingress), exposed) == []
    assert judge(policy(sa("order")), exposed) == [("missing-caller", INGRESS)]


def test_namespaces_name_callers_too() -> None:
    document = policy(rules=[{"from": [{"source": {"namespaces": ["order", "search"]}}]}])
    assert judge(document) == [("undeclared-caller", "search")]


@pytest.mark.parametrize(
    "rule",
    [
        {"to": [{"operation": {"methods": ["POST"], "paths": ["/v1/pay"]}}]},  # no `from`: everyone
        {"from": [{"source": {"principals": ["*"]}}]},
        {"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}]},
        {"from": [{"source": {"notPrincipals": [sa("search")]}}]},
        {"from": [{"source": {"principals": ["cluster.local/ns/order/sa/default"]}}]},  # not the service's account
    ],
)
def test_rules_admitting_callers_the_catalog_cannot_name_are_open(rule: dict[str, Any]) -> None:
    kinds = judge(policy(rules=[{"from": [{"source": {"principals": [sa("order")]}}]}, rule, METRICS_RULE]))
    assert kinds == [("open-rule", "")]


def test_the_metrics_rule_is_not_an_open_door() -> None:
    assert judge(policy(sa("order"))) == []  # METRICS_RULE has no `from`, GET /metrics only


def test_no_allow_policy_admits_everyone() -> None:
    deny = policy(sa("search"), action="DENY")
    assert judge(deny) == [("no-policy", "")]


def test_a_patch_that_leaves_the_rules_alone_is_not_judged() -> None:
    patch = {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "payment"},
        "spec": {"action": "ALLOW"},
    }
    assert (
        drift(
            DECLARED,
            [PolicySource("payment", FILE, "-", policy(sa("order"))), PolicySource("payment", "p.yaml", "dev", patch)],
        )
        == []
    )


def test_a_policy_selecting_another_workload_does_not_count() -> None:
    other = policy(sa("search"))
    other["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = "payment-worker"
    assert judge(other) == [("no-policy", "")]


def test_the_fleet_has_no_drift() -> None:
    catalog = load_catalog(REPO_ROOT)
    declared = declared_for(catalog, declared_graph(catalog), {s: f"gitops/apps/{s}/" for s in SERVICES})
    policies = [
        PolicySource(service, str(file.relative_to(REPO_ROOT)), "-", document)
        for service in SERVICES
        for file in sorted((REPO_ROOT / "gitops" / "apps" / service).rglob("*.yaml"))
        for document in yaml.safe_load_all(file.read_text())
        if isinstance(document, dict)
    ]
    assert sum(1 for p in policies if p.document.get("kind") == "AuthorizationPolicy") == len(SERVICES)
    assert drift(declared, policies) == []
    assert declared["user"].callers.keys() == {"gateway", "order", "notification"}
    assert declared["gateway"].exposed
    assert not declared["gateway"].callers
