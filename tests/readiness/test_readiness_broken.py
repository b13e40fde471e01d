"""Copies of the repository broken in one way each: exactly the expected item flips, and a message names the
service and the file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from readiness_support import copy_repo, copy_repos, drop_line, edit, judge, not_passing, statuses

from groundwork.readiness.model import Status

Breaker = Callable[[Path, Path], None]  # (repository copy, service repositories copy)


@dataclass(frozen=True)
class Broken:
    breaker: Breaker
    item: int
    service: str
    file: str
    also: frozenset[int] = frozenset()  # items a break legitimately flips besides `item` (none in the list)


def _without_owner(root: Path, _repos: Path) -> None:
    # The Component's owner (the API below it keeps its own).
    edit(root / "gitops/apps/payment/catalog-info.yaml", "  owner: group:team-payments\n  # Backstage", "  # Backstage")


def _claimed_by_two_teams(_root: Path, repos: Path) -> None:
    # The service repository's own descriptor names another team than the GitOps entry's.
    edit(repos / "payment" / "catalog-info.yaml", "owner: group:team-payments", "owner: group:team-commerce")


def _codeowners_with_two_teams(root: Path, _repos: Path) -> None:
    edit(root / ".github/CODEOWNERS", "@acme/team-payments\n", "@acme/team-payments @acme/team-commerce\n")


def _second_descriptor_in_catalog(root: Path, _repos: Path) -> None:
    (root / "catalog" / "legacy.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payment\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: group:team-commerce\n"
    )
    edit(
        root / "catalog-info.yaml",
        "    - ./catalog/groups.yaml\n",
        "    - ./catalog/legacy.yaml\n    - ./catalog/groups.yaml\n",
    )


def _undeclared_call(root: Path, _repos: Path) -> None:
    edit(
        root / "gitops/apps/search/overlays/dev/deployment.yaml",
        '              value: "1.0"\n',
        '              value: "1.0"\n'
        "            - name: APP_DOWNSTREAMS\n"
        '              value: \'{"inventory": "http://inventory.inventory.svc.cluster.local", '
        '"payment": "http://payment.payment.svc.cluster.local"}\'\n',
    )


def _undeclared_call_in_answers(root: Path, _repos: Path) -> None:
    edit(
        root / "gitops/apps/notification/.copier-answers.yml",
        "downstreams:\n- user\n",
        "downstreams:\n- user\n- payment\n",
    )


def _policy_admits_undeclared_caller(root: Path, _repos: Path) -> None:
    edit(
        root / "gitops/apps/payment/base/authorizationpolicy.yaml",
        "              - cluster.local/ns/order/sa/order\n",
        "              - cluster.local/ns/order/sa/order\n              - cluster.local/ns/search/sa/search\n",
    )


def _policy_misses_declared_caller(root: Path, _repos: Path) -> None:
    drop_line(root / "gitops/apps/user/base/authorizationpolicy.yaml", r"ns/notification/sa/notification$")


def _missing_dashboard(root: Path, _repos: Path) -> None:
    """The fleet's service dashboard cannot show search's budgets: its PrometheusRule no longer records one."""
    rule = root / "gitops/apps/search/base/prometheusrule.yaml"
    rule.write_text(rule.read_text().replace(":slo_availability_error_budget:", ":slo_availability_budget:"))


def _ci_without_gitops_step(_root: Path, repos: Path) -> None:
    workflow = repos / "order" / ".github" / "workflows" / "ci.yml"
    text = workflow.read_text()
    workflow.write_text(text[: text.index("\n  promote-dev:")] + "\n")


def _missing_codeowners_line(root: Path, _repos: Path) -> None:
    drop_line(root / ".github/CODEOWNERS", r"^/gitops/apps/order/ ")


def _platform_approves_dev(root: Path, _repos: Path) -> None:
    with (root / ".github/CODEOWNERS").open("a") as codeowners:
        codeowners.write("/gitops/apps/*/overlays/dev/      @acme/team-platform\n")


def _missing_servicemonitor(root: Path, _repos: Path) -> None:
    (root / "gitops/apps/inventory/base/servicemonitor.yaml").unlink()
    drop_line(root / "gitops/apps/inventory/base/kustomization.yaml", r"^  - servicemonitor.yaml$")


def _probe_off_contract(root: Path, _repos: Path) -> None:
    edit(
        root / "gitops/apps/gateway/base/deployment.yaml",
        "              path: /livez\n",
        "              path: /healthz\n",
    )


def _unlocated_descriptor(root: Path, _repos: Path) -> None:
    drop_line(root / "catalog-info.yaml", r"gitops/apps/search/catalog-info.yaml$")


def _stack_failing_conformance(root: Path, _repos: Path) -> None:
    edit(
        root / "docs/conformance/node.json",
        '"clause": "shutdown.drain",\n      "status": "pass"',
        '"clause": "shutdown.drain",\n      "status": "fail"',
    )


BROKEN = {
    # the acceptance list
    "service-without-owner": Broken(_without_owner, 4, "payment", "gitops/apps/payment/catalog-info.yaml"),
    "service-claimed-by-two-teams": Broken(_claimed_by_two_teams, 4, "payment", "payment/catalog-info.yaml"),
    "undeclared-call": Broken(_undeclared_call, 5, "search", "gitops/apps/search/overlays/dev/deployment.yaml"),
    "policy-admits-undeclared-caller": Broken(
        _policy_admits_undeclared_caller, 5, "payment", "gitops/apps/payment/base/authorizationpolicy.yaml"
    ),
    "missing-dashboard": Broken(_missing_dashboard, 2, "search", "gitops/apps/search/base/"),
    "ci-without-gitops-step": Broken(_ci_without_gitops_step, 3, "order", "order/.github/workflows/ci.yml"),
    "missing-codeowners-line": Broken(_missing_codeowners_line, 4, "order", ".github/CODEOWNERS"),
    # more ways to break the same rules
    "codeowners-line-with-two-teams": Broken(_codeowners_with_two_teams, 4, "payment", ".github/CODEOWNERS"),
    "second-descriptor-in-catalog": Broken(_second_descriptor_in_catalog, 4, "payment", "catalog/legacy.yaml"),
    "undeclared-call-in-answers": Broken(
        _undeclared_call_in_answers, 5, "notification", "gitops/apps/notification/.copier-answers.yml"
    ),
    "policy-misses-declared-caller": Broken(
        _policy_misses_declared_caller, 5, "user", "gitops/apps/user/base/authorizationpolicy.yaml"
    ),
    # The dev overlay given to the platform team: an approval beyond the owner (3), and the entry no longer the
    # owning team's alone (4).
    "platform-approves-dev": Broken(_platform_approves_dev, 3, "order", ".github/CODEOWNERS", frozenset({4})),
    "missing-servicemonitor": Broken(_missing_servicemonitor, 2, "inventory", "gitops/apps/inventory/base/"),
    "probe-off-contract": Broken(_probe_off_contract, 6, "gateway", "gitops/apps/gateway/base/deployment.yaml"),
    # The node stack (search) no longer keeps the contract: its conformance report names the failing clause.
    "stack-failing-conformance": Broken(_stack_failing_conformance, 6, "shutdown.drain", "docs/conformance/node.json"),
    # A descriptor Backstage never reads: the service is in no domain (5) and owned by nobody (4).
    "unlocated-descriptor": Broken(
        _unlocated_descriptor, 5, "search", "gitops/apps/search/catalog-info.yaml", frozenset({4})
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_one_break_flips_exactly_its_item(tmp_path: Path, name: str) -> None:
    broken = BROKEN[name]
    root = copy_repo(tmp_path / "repo")
    repos = copy_repos(tmp_path / "repos")
    broken.breaker(root, repos)
    report = judge(root, repos)
    flipped = {broken.item, *broken.also}
    expected = {number: Status.FAIL if number in flipped else Status.PASS for number in range(1, 7)}
    assert statuses(report) == expected, [f"[{n}] {c.name}: {c.message}" for n, c in not_passing(report)]
    assert report.score == 6 - len(flipped)
    findings = not_passing(report)
    assert {number for number, _ in findings} == flipped
    assert any(broken.service in check.message and broken.file in check.message for _, check in findings), [
        check.message for _, check in findings
    ]


def test_each_break_of_the_acceptance_list_is_reported_in_the_json(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo")
    _policy_admits_undeclared_caller(root, tmp_path)
    check = next(
        c
        for item in judge(root).as_json()["items"]  # type: ignore[attr-defined]
        for c in item["checks"]
        if c["status"] == "fail"
    )
    assert check["name"] == "mesh-policy-matches-catalog"
    assert check["service"] == "payment"
    assert "search, an undeclared caller" in check["message"]
    assert check["evidence"]["files"] == ["gitops/apps/payment/base/authorizationpolicy.yaml"]
