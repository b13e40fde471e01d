"""Item 5, explicit domain boundaries: every service belongs to exactly one domain; every call between services
is declared in the catalog (consumesApis of a provided API); the mesh policy admits exactly the declared
callers; no service is configured to call a downstream it has not declared; every topic a service publishes
it provides as an asyncapi API, and every topic it consumes is declared and listed in its consumesApis."""

from __future__ import annotations

import json
from collections import defaultdict

import yaml

from groundwork.catalog.drift import Drift, PolicySource, declared_for, drift, is_policy
from groundwork.catalog.entities import DOMAIN_ANNOTATION
from groundwork.catalog.graph import domain_of
from groundwork.catalog.load import unlocated
from groundwork.catalog.topics import DeclaredTopics, declared_topics, topic_names, topic_problems
from groundwork.paths import ANSWERS_FILE, BASE_DIR, CATALOG_FILE
from groundwork.readiness.context import Context
from groundwork.readiness.entries import Entry
from groundwork.readiness.model import Check, Evidence, ItemSpec, judged

SPEC = ItemSpec(
    5,
    "explicit-domain-boundaries",
    "Explicit domain boundaries",
    "Is every service in one domain, every call declared, and the mesh policy equal to the declared graph?",
)
PART_OF = "app.kubernetes.io/part-of"
DOWNSTREAMS_VARIABLE = "APP_DOWNSTREAMS"
DECLARED_DOWNSTREAMS = "DECLARED_DOWNSTREAMS"


def assess(context: Context) -> list[Check]:
    drifts = mesh_drift(context)
    topics = declared_topics(context.catalog)
    checks = [_catalog_located(context)]
    for entry in context.entries:
        checks += [
            _one_domain(context, entry),
            _calls_declared(context, entry),
            _mesh_matches(context, entry, drifts.get(entry.name, [])),
            _topics_declared(entry, topics),
        ]
    return checks


def mesh_drift(context: Context) -> dict[str, list[Drift]]:
    policies = [
        PolicySource(entry.name, found.file, "-", found.body)
        for entry in context.entries
        for found in entry.documents
        if is_policy(found.body)
    ]
    declared = declared_for(context.catalog, context.graph, {e.name: f"{e.shown}/" for e in context.entries})
    by_service: dict[str, list[Drift]] = defaultdict(list)
    for item in drift(declared, policies):
        by_service[item.service].append(item)
    return by_service


def _catalog_located(context: Context) -> Check:
    problems = [
        f"{file} is not a target of catalog-info.yaml, so Backstage never reads it: add './{file}' to its targets"
        for file in unlocated(context.catalog)
    ]
    services = {entry.name for entry in context.entries}
    for name, descriptors in sorted(context.catalog.components.items()):
        if name not in services and descriptors[0].type == "service":
            problems.append(f"Component {name} ({descriptors[0].where}) has no GitOps entry gitops/apps/{name}/")
    return judged(
        "catalog-located",
        problems,
        f"catalog-info.yaml locates all {len(context.catalog.files) - 1} catalog files",
        Evidence(
            files=tuple(context.catalog.files),
            counts={
                "files": len(context.catalog.files),
                "entities": len(context.catalog.entities),
                "components": len(context.catalog.components),
            },
        ),
    )


def _one_domain(context: Context, entry: Entry) -> Check:
    catalog = context.catalog
    primary = catalog.component(entry.name)
    problems: list[str] = []
    claims: dict[str, list[str]] = defaultdict(list)
    if primary is None:
        problems.append(
            f"{entry.name}: no Component {entry.name} in the catalog ({entry.rel(CATALOG_FILE)}), so it "
            "belongs to no domain"
        )
    elif primary.system is None:
        problems.append(f"{entry.name}: {primary.where} has no spec.system, so it belongs to no domain")
    elif primary.system not in catalog.systems:
        problems.append(
            f"{entry.name}: {primary.at('spec', 'system')} names {primary.system}, which is not a System of the "
            "catalog (catalog/systems.yaml)"
        )
    elif domain_of(catalog, primary) is None:
        system = catalog.systems[primary.system]
        problems.append(f"{entry.name}: System {system.name} ({system.where}) names no Domain of the catalog")
    descriptors = [*catalog.components.get(entry.name, []), *context.service_components.get(entry.name, [])]
    for component in descriptors:
        domain = domain_of(catalog, component)
        if domain:
            claims[domain].append(str(component.at("spec", "system")))
        annotated = component.annotations.get(DOMAIN_ANNOTATION)
        if annotated:
            claims[annotated].append(str(component.at("metadata", "annotations", DOMAIN_ANNOTATION)))
    label = entry.labels(BASE_DIR).get(PART_OF)
    if label:
        claims[label[0]].append(label[1])
    if entry.answer("domain"):
        claims[str(entry.answer("domain"))].append(entry.answer_where("domain"))
    if len(claims) > 1:
        named = "; ".join(
            f"{domain} ({', '.join(sorted(set(places))[:3])})" for domain, places in sorted(claims.items())
        )
        problems.append(f"{entry.name} is placed in {len(claims)} domains: {named}")
    domain = domain_of(catalog, primary) if primary else None
    return judged(
        "one-domain",
        problems,
        f"{entry.name} belongs to domain {domain}",
        Evidence(files=tuple(sorted({p for places in claims.values() for p in places}))),
        service=entry.name,
    )


def configured_downstreams(context: Context, entry: Entry) -> dict[str, list[str]]:
    """downstream -> where it is configured: template answers (both repositories), the code's declared
    downstreams, and APP_DOWNSTREAMS on the container in every overlay."""
    found: dict[str, list[str]] = defaultdict(list)
    for name in _names(entry.answer("downstreams")):
        found[name].append(entry.answer_where("downstreams"))
    repo_answers = context.repo_path(entry.name) / ANSWERS_FILE
    if repo_answers.is_file():
        try:
            answers = yaml.safe_load(repo_answers.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            answers = None
        if isinstance(answers, dict):
            for name in _names(answers.get("downstreams")):
                found[name].append(context.repos.shown(entry.name, repo_answers))
    declared = context.repo_files(entry.name).python_tuple(DECLARED_DOWNSTREAMS)
    if declared is not None:
        hit, names = declared
        for name in names:
            found[name].append(f"{context.repos.shown(entry.name, hit.file)}:{hit.line}")
    for overlay in [None, *entry.overlays]:
        setting = entry.container_env(overlay).get(DOWNSTREAMS_VARIABLE)
        if setting is None or setting.value is None:
            continue
        try:
            value = json.loads(setting.value)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            found["(not a JSON object)"].append(setting.where)
            continue
        for name in value:
            found[str(name)].append(setting.where)
    return {name: sorted(set(places)) for name, places in found.items()}


def _calls_declared(context: Context, entry: Entry) -> Check:
    declared = context.graph.callees_of(entry.name)
    primary = context.catalog.component(entry.name)
    where = str(primary.where) if primary else entry.rel(CATALOG_FILE)
    problems = [
        f"{entry.name}: {dangling.where} consumes {dangling.api}, which "
        + ("no Component provides" if not dangling.providers else f"{len(dangling.providers)} Components provide")
        for dangling in context.graph.dangling
        if dangling.component == entry.name
    ]
    configured = configured_downstreams(context, entry)
    for name, places in sorted(configured.items()):
        if name == "(not a JSON object)":
            problems.append(
                f"{entry.name}: {places[0]} sets {DOWNSTREAMS_VARIABLE} to something other than a JSON object"
            )
        elif name not in declared:
            problems.append(
                f"{entry.name}: {', '.join(places)} configures a call to {name}, which the catalog does not declare "
                f"({where}: no consumesApis {name}-api); declare it or remove the downstream"
            )
    calls = sorted(declared)
    return judged(
        "calls-declared",
        problems,
        f"{entry.name} calls {', '.join(calls) if calls else 'no service'}, all declared in {where}",
        Evidence(
            files=tuple(sorted({where, *(p for places in configured.values() for p in places)})),
            counts={
                "declared_calls": len(declared),
                "cross_domain_calls": sum(1 for call in declared.values() if call.cross_domain),
            },
        ),
        service=entry.name,
    )


def _mesh_matches(context: Context, entry: Entry, drifts: list[Drift]) -> Check:
    callers = sorted(context.graph.callers_of(entry.name))
    files = sorted({found.file for found in entry.documents if is_policy(found.body)})
    return judged(
        "mesh-policy-matches-catalog",
        [item.message for item in drifts],
        f"{entry.name}: {', '.join(files)} admits exactly the declared callers ({', '.join(callers) or 'none'})",
        Evidence(files=tuple(files), counts={"declared_callers": len(callers)}),
        service=entry.name,
    )


def _topics_declared(entry: Entry, topics: DeclaredTopics) -> Check:
    answered = Evidence(files=(entry.answer_where("events"),))
    if entry.answer("events") != "kafka":
        said = f"{entry.name} publishes and consumes no topic"
        return judged("topics-declared", [], said, answered, service=entry.name)
    publishes, consumes = topic_names(entry.answer("publishes")), topic_names(entry.answer("consumes"))
    problems = [
        f"{entry.answer_where(key)}: {message}"
        for key, _, message in topic_problems(entry.name, publishes, consumes, topics)
    ]
    said = f"publishes {', '.join(publishes) or 'no topic'} and consumes {', '.join(consumes) or 'no topic'}"
    return judged(
        "topics-declared",
        problems,
        f"{entry.name} {said}, each declared in the catalog",
        Evidence(
            files=answered.files,
            counts={"published_topics": len(publishes), "consumed_topics": len(consumes)},
        ),
        service=entry.name,
    )


def _names(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
