"""The repository's capstone fleet scores 6/6 once provisioned (5/6, item 1 "not yet proven", before), and the
JSON report lists every check with its evidence."""

from __future__ import annotations

import json

import jsonschema
import pytest
from readiness_support import REPO_ROOT, SERVICES, shared_stacks

from groundwork.readiness.model import Report, Status
from groundwork.readiness.output import render_json, schema
from groundwork.readiness.runner import ReadinessOptions, assess

# Every check each item runs per service, and its fleet-wide (or per-team) checks.
PER_SERVICE = {
    1: set(),
    2: {"metrics-endpoint", "servicemonitor", "json-logs", "tracing", "dashboard", "slo-alerts"},
    3: {"ci-ends-in-gitops-pr", "owner-approves-alone"},
    4: {"exactly-one-owner", "codeowners", "runbook", "on-call"},
    5: {"one-domain", "calls-declared", "mesh-policy-matches-catalog", "topics-declared"},
    6: {"health-endpoints", "metric-names", "otel-variables", "labels-and-namespace"},
}
FLEET = {
    1: {"stacks-exist", "stacks-build-under-mocks", "last-up-under-30-minutes"},
    2: {"fleet-dashboard"},
    3: {"dev-syncs-automatically"},
    4: set(),
    5: {"catalog-located"},
    6: {"contract-documented", "stacks-conform", "team-load"},
}


@pytest.fixture(scope="module")
def report() -> Report:
    # The service repositories are rendered from the answers, as by default; the stacks were built once.
    return assess(REPO_ROOT, ReadinessOptions(stack_builder=shared_stacks, state_dir=REPO_ROOT / "no-such-state"))


def test_the_fleet_scores_five_of_six_with_provisioning_not_yet_proven(report: Report) -> None:
    # No `groundwork up` ran in this checkout, so item 1 is not yet proven; everything else passes.
    assert (report.score, report.total, report.warnings) == (5, 6, 0)
    assert [item.status for item in report.items] == [Status.UNPROVEN] + [Status.PASS] * 5
    assert report.failed == ()
    assert "rendered from gitops/apps/<service>/.copier-answers.yml" in report.sources["service_repos"]


def test_every_check_is_listed_for_every_service(report: Report) -> None:
    for item in report.items:
        number = item.spec.number
        for service in SERVICES:
            names = {check.name for check in item.checks if check.service == service}
            assert names == PER_SERVICE[number], (number, service)
        fleet = {check.name for check in item.checks if check.service is None}
        assert fleet == FLEET[number], number
    teams = {check.team for item in report.items for check in item.checks if check.name == "team-load"}
    assert teams == {
        "team-edge",
        "team-identity",
        "team-commerce",
        "team-payments",
        "team-engagement",
        "team-discovery",
    }


def test_the_json_validates_and_carries_the_evidence(report: Report) -> None:
    document = json.loads(render_json(report))
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
    checks = [check for item in document["items"] for check in item["checks"]]
    assert len(checks) == sum(len(PER_SERVICE[n]) * len(SERVICES) + len(FLEET[n]) for n in PER_SERVICE) + 5
    for check in checks:
        assert check["message"]
        if check["name"] == "last-up-under-30-minutes":  # no record: nothing to point at, nothing proven
            assert check["status"] == "unproven"
            continue
        assert check["status"] == "pass"
        assert check["evidence"]["files"], check
        subject = check["service"] or check["team"] or ""
        assert subject in check["message"] or check["service"] is None, check
    by_name = {(c["name"], c["service"]): c for c in checks}
    assert by_name[("stacks-build-under-mocks", None)]["evidence"]["counts"]["eks_resources"] > 10
    assert by_name[("dashboard", "order")]["evidence"]["files"] == ["gitops/addons/dashboards/service.json"]
    assert (
        by_name[("ci-ends-in-gitops-pr", "order")]["evidence"]["files"][0]
        == "acme/order (rendered)/.github/workflows/ci.yml"
    )
    assert by_name[("calls-declared", "order")]["evidence"]["counts"] == {"declared_calls": 4, "cross_domain_calls": 3}
    assert by_name[("topics-declared", "order")]["evidence"]["counts"] == {"published_topics": 1, "consumed_topics": 2}
    assert by_name[("topics-declared", "order")]["message"] == (
        "order publishes order.events and consumes inventory.events, payment.events, each declared in the catalog"
    )
    assert document["context_map"]["cross_domain_calls"] == 8
    assert len(document["context_map"]["calls"]) == 9
