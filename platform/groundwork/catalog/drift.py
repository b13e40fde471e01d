"""Drift between the declared call graph (the catalog) and the mesh policy (Istio AuthorizationPolicies).

Pure: the callers give it what the catalog declares and the AuthorizationPolicy documents they found, with the
file each came from (`groundwork readiness` reads the GitOps entries' files, `groundwork check` its rendered
overlays), and get back one `Drift` per disagreement:

- an undeclared caller: a policy admits a service (or the ingress gateway) that the catalog does not declare
  as a caller: no `consumesApis` of the callee's API in the caller's Component (no `groundwork.dev/public-host`
  annotation for the ingress gateway);
- a declared caller missing: the catalog declares the call, the policy does not admit it;
- an open door: a rule that admits callers the catalog cannot name (no `from`, namespaces of other kinds, IP
  blocks, `*`), except the one rule every service has that lets anyone GET /metrics;
- no ALLOW policy selecting the service at all, which in Istio admits every caller.

A caller is identified by its SPIFFE principal `<trust domain>/ns/<service>/sa/<service>` or its namespace (each
service runs in the namespace named after it, under the service account named after it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from groundwork.catalog.entities import PUBLIC_HOST
from groundwork.catalog.graph import CallGraph
from groundwork.catalog.load import Catalog
from groundwork.parsed import as_list, as_mapping

KIND = "AuthorizationPolicy"
API_GROUP = "security.istio.io/"
INGRESS = "the mesh ingress gateway"
# copier.yml's mesh_ingress_namespace / mesh_ingress_service_account.
DEFAULT_INGRESS_IDENTITY = ("istio-ingress", "istio-ingressgateway")
NAME_LABEL = "app.kubernetes.io/name"
_METRICS_PATHS = frozenset({"/metrics"})


@dataclass(frozen=True)
class Declared:
    """What the catalog says about one service: who may call it, whether it is exposed, where that is written."""

    service: str
    callers: Mapping[str, str]  # caller -> where the call is declared (file:line)
    exposed: bool
    where: str  # the service's Component
    entry: str = ""  # the service's GitOps entry (gitops/apps/<service>/)


@dataclass(frozen=True)
class PolicySource:
    """One AuthorizationPolicy document found for `service` (its namespace), from `file`, for `env` ('-': all)."""

    service: str
    file: str
    env: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Drift:
    service: str
    file: str
    env: str
    kind: str  # undeclared-caller | missing-caller | open-rule | no-policy
    message: str
    caller: str = ""


@dataclass(frozen=True)
class Admission:
    """Who one policy document lets in."""

    callers: frozenset[str] = frozenset()
    open_rules: tuple[str, ...] = ()
    sets_rules: bool = True


@dataclass(frozen=True)
class MeshIdentity:
    ingress_namespace: str = DEFAULT_INGRESS_IDENTITY[0]
    ingress_service_account: str = DEFAULT_INGRESS_IDENTITY[1]


def declared_for(catalog: Catalog, graph: CallGraph, entries: Mapping[str, str]) -> dict[str, Declared]:
    """Declared callers of each service of `entries` (service -> its GitOps entry folder), from the catalog's
    Components (the first descriptor of each)."""
    result: dict[str, Declared] = {}
    for service, entry in entries.items():
        component = catalog.component(service)
        callers = {caller: str(call.where) for caller, call in sorted(graph.callers_of(service).items())}
        exposed = bool(component and component.annotations.get(PUBLIC_HOST, "").strip())
        where = str(component.where) if component else "(no Component in the catalog)"
        result[service] = Declared(service, callers, exposed, where, entry)
    return result


def is_policy(document: Mapping[str, Any]) -> bool:
    api_version = document.get("apiVersion")
    return document.get("kind") == KIND and isinstance(api_version, str) and api_version.startswith(API_GROUP)


def admission(document: Mapping[str, Any], identity: MeshIdentity) -> Admission:
    """The callers an ALLOW policy admits; `sets_rules` False for a patch that leaves the rules alone."""
    spec = as_mapping(document.get("spec"))
    if "rules" not in spec:
        return Admission(sets_rules=False)
    callers: set[str] = set()
    open_rules: list[str] = []
    for index, rule in enumerate(as_list(spec.get("rules"))):
        rule = as_mapping(rule)
        sources = as_list(rule.get("from"))
        if not sources:
            if not _metrics_only(rule):
                open_rules.append(f"rules[{index}] has no 'from': it admits every caller")
            continue
        for source_index, entry in enumerate(sources):
            source = as_mapping(as_mapping(entry).get("source"))
            named, anonymous = _callers(source, identity)
            callers |= named
            if anonymous:
                open_rules.append(f"rules[{index}].from[{source_index}] admits {anonymous}")
    return Admission(frozenset(callers), tuple(open_rules))


def drift(
    declared: Mapping[str, Declared],
    policies: Sequence[PolicySource],
    identity: MeshIdentity | None = None,
) -> list[Drift]:
    """Every disagreement between `declared` and `policies`, service by service, in a stable order."""
    identity = identity or MeshIdentity()
    found: list[Drift] = []
    by_service: dict[str, list[PolicySource]] = {}
    for policy in policies:
        if is_policy(policy.document) and _applies(policy):
            by_service.setdefault(policy.service, []).append(policy)
    for service in sorted(declared):
        expected = declared[service]
        mine = by_service.get(service, [])
        allow = [p for p in mine if _action(p.document) == "ALLOW"]
        if not allow:
            found.append(
                Drift(
                    service,
                    expected.entry,
                    "-",
                    "no-policy",
                    f"{service}: no ALLOW AuthorizationPolicy in {expected.entry or 'its GitOps entry'} selects it, "
                    "so Istio admits every caller; restore base/authorizationpolicy.yaml (copier update)",
                )
            )
            continue
        for policy in allow:
            found += _judge(expected, policy, admission(policy.document, identity))
    return found


def _judge(expected: Declared, policy: PolicySource, admitted: Admission) -> list[Drift]:
    if not admitted.sets_rules:
        return []
    service, file, env = expected.service, policy.file, policy.env
    where = f"{file} ({env})" if env not in ("", "-") else file
    allowed = set(expected.callers) | ({INGRESS} if expected.exposed else set())
    problems: list[Drift] = []
    for caller in sorted(admitted.callers - allowed):
        if caller == INGRESS:
            why = f"its Component ({expected.where}) has no {PUBLIC_HOST} annotation: it is not exposed"
        else:
            why = f"{caller}'s Component does not consume {service}-api"
        problems.append(
            Drift(
                service,
                file,
                env,
                "undeclared-caller",
                f"{service}: {where} admits {caller}, an undeclared caller ({why}); declare the call in the "
                f"catalog or remove it from the policy (the deploy template's 'consumers' answer)",
                caller,
            )
        )
    for caller in sorted(allowed - admitted.callers):
        declared_at = expected.callers.get(caller, expected.where)
        problems.append(
            Drift(
                service,
                file,
                env,
                "missing-caller",
                f"{service}: {caller} is a declared caller ({declared_at}) but {where} does not admit it; "
                f"add it to the deploy template's 'consumers' answer (copier update) or drop the declaration",
                caller,
            )
        )
    for rule in admitted.open_rules:
        problems.append(
            Drift(
                service,
                file,
                env,
                "open-rule",
                f"{service}: {where} {rule}, beyond the callers the catalog declares; name each caller's principal",
            )
        )
    return problems


def _callers(source: Mapping[str, Any], identity: MeshIdentity) -> tuple[set[str], str]:
    """(named callers, description of what else the source admits or '')."""
    named: set[str] = set()
    others: list[str] = []
    for principal in as_list(source.get("principals")):
        caller = _principal(str(principal), identity)
        if caller is None:
            others.append(f"principal {principal}")
        else:
            named.add(caller)
    for namespace in as_list(source.get("namespaces")):
        namespace = str(namespace)
        if namespace == identity.ingress_namespace:
            named.add(INGRESS)
        elif "*" in namespace:
            others.append(f"namespace {namespace}")
        else:
            named.add(namespace)
    for key in ("ipBlocks", "remoteIpBlocks", "requestPrincipals"):
        if source.get(key):
            others.append(key)
    if not named and not others:  # only not* fields (or nothing): everyone but some
        others.append("every caller not excluded by its not* fields")
    return named, ", ".join(others)


def _principal(principal: str, identity: MeshIdentity) -> str | None:
    parts = principal.split("/")
    if len(parts) >= 4 and parts[-4] == "ns" and parts[-2] == "sa":
        namespace, account = parts[-3], parts[-1]
        if (namespace, account) == (identity.ingress_namespace, identity.ingress_service_account):
            return INGRESS
        if "*" not in namespace and namespace == account:
            return namespace
    return None


def _metrics_only(rule: Mapping[str, Any]) -> bool:
    operations = [as_mapping(as_mapping(entry).get("operation")) for entry in as_list(rule.get("to"))]
    if not operations:
        return False
    for operation in operations:
        paths = {str(path) for path in as_list(operation.get("paths"))}
        methods = {str(method).upper() for method in as_list(operation.get("methods"))}
        if not paths or not paths <= _METRICS_PATHS or not methods or not methods <= {"GET"}:
            return False
    return True


def _applies(policy: PolicySource) -> bool:
    spec = as_mapping(policy.document.get("spec"))
    labels = as_mapping(as_mapping(spec.get("selector")).get("matchLabels"))
    return bool(labels.get(NAME_LABEL, policy.service) == policy.service)


def _action(document: Mapping[str, Any]) -> str:
    return str(as_mapping(document.get("spec")).get("action") or "ALLOW").upper()
