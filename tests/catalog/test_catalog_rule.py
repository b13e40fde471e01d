"""`groundwork check`'s catalog rule over really rendered overlays (kustomize): the fleet agrees with its
catalog, and a policy admitting an undeclared caller, or missing a declared one, is a finding of its app and
environment, naming the source file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from catalog_support import REPO_ROOT

from groundwork.check.catalog_rule import DRIFT_RULE, MALFORMED_RULE, catalog_findings
from groundwork.check.discover import discover
from groundwork.check.model import Document, Finding, Stage
from groundwork.check.render import find_kubectl, render_stream


def copy(dest: Path) -> Path:
    for name in ("catalog-info.yaml", "catalog", "gitops"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy2(source, dest / name)
    return dest


def gate(root: Path, apps: tuple[str, ...] = ()) -> list[Finding]:
    targets = [t for t in discover(root / "gitops") if t.service and (not apps or t.app in apps)]
    documents: list[Document] = []
    for rendered in render_stream(targets, find_kubectl(), root, 2):
        assert not rendered.findings
        documents += rendered.documents
    return catalog_findings(root, documents)


@pytest.mark.slow
def test_the_fleet_agrees_with_its_catalog() -> None:
    assert gate(REPO_ROOT) == []


def test_an_undeclared_caller_and_a_missing_one(tmp_path: Path) -> None:
    root = copy(tmp_path)
    policy = root / "gitops/apps/inventory/base/authorizationpolicy.yaml"
    text = policy.read_text()
    assert "              - cluster.local/ns/search/sa/search\n" in text
    policy.write_text(text.replace("cluster.local/ns/search/sa/search", "cluster.local/ns/payment/sa/payment"))
    findings = gate(root, ("inventory", "order"))
    assert {(f.app, f.env) for f in findings} == {("inventory", "dev"), ("inventory", "staging"), ("inventory", "prod")}
    for env in ("dev", "staging", "prod"):
        mine = sorted(f.message.split(": ", 1)[1] for f in findings if f.env == env)
        assert len(mine) == 2
        assert any("admits payment, an undeclared caller" in m for m in mine)
        assert any("search is a declared caller" in m for m in mine)
    for finding in findings:
        assert (finding.stage, finding.rule) == (Stage.POLICY, DRIFT_RULE)
        assert finding.file == policy
        assert finding.resource == "AuthorizationPolicy inventory/inventory"


def test_no_catalog_no_rule(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "gitops", tmp_path / "gitops")
    assert gate(tmp_path, ("user",)) == []


def test_a_malformed_catalog_is_one_finding(tmp_path: Path) -> None:
    root = copy(tmp_path)
    groups = root / "catalog/groups.yaml"
    groups.write_text(groups.read_text().replace("  name: team-edge\n", "  name: team edge\n"))
    (finding,) = catalog_findings(root, [])
    assert finding.rule == MALFORMED_RULE
    assert finding.message.startswith("catalog/groups.yaml:")
