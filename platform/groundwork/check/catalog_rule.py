"""`groundwork check`'s catalog rule: each rendered service overlay's AuthorizationPolicies against the callers
the catalog declares (GW_CATALOG_1, stage policy). A repository without a root catalog-info.yaml has no
declared graph to compare with, and gets no finding from here; a malformed catalog is one finding
(GW_CATALOG_0) naming its file and line."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from groundwork.catalog.drift import PolicySource, declared_for, drift, is_policy
from groundwork.catalog.errors import CatalogError
from groundwork.catalog.graph import declared_graph
from groundwork.catalog.load import load_catalog, shown_path
from groundwork.check.discover import kustomization_file
from groundwork.check.model import NO_ENV, Document, Finding, Stage, Target
from groundwork.check.topic_rule import topic_findings
from groundwork.paths import APPS_DIR, CATALOG_FILE, GITOPS_DIR

DRIFT_RULE = "GW_CATALOG_1"
MALFORMED_RULE = "GW_CATALOG_0"


def catalog_findings(root: Path, documents: Sequence[Document]) -> list[Finding]:
    if not (root / CATALOG_FILE).is_file():
        return []
    try:
        catalog = load_catalog(root)
    except CatalogError as error:
        return [Finding("catalog", NO_ENV, root / error.file, Stage.POLICY, MALFORMED_RULE, str(error))]
    by_target: dict[Target, list[Document]] = defaultdict(list)
    for document in documents:
        if document.target.service:
            by_target[document.target].append(document)
    graph = declared_graph(catalog)
    entries = {target.app: f"{GITOPS_DIR}/{APPS_DIR}/{target.app}/" for target in by_target}
    declared = declared_for(catalog, graph, entries)
    findings: list[Finding] = []
    for target, members in by_target.items():
        policies = [member for member in members if is_policy(member.body)]
        sources = [
            PolicySource(target.app, shown_path(root, policy.source), target.env, policy.body) for policy in policies
        ]
        for problem in drift({target.app: declared[target.app]}, sources):
            blamed = next((p for p in policies if shown_path(root, p.source) == problem.file), None)
            if blamed is not None:
                findings.append(Finding.about(blamed, Stage.POLICY, DRIFT_RULE, problem.message))
            else:
                file = kustomization_file(target.path) or target.path
                findings.append(Finding.on_target(target, file, Stage.POLICY, DRIFT_RULE, problem.message))
    findings += topic_findings(catalog, by_target)  # GW_CATALOG_2: topics published and consumed vs declared
    return findings
