"""Acceptance 2 (issue 2): bad answers are refused by the template's own validators, with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from render_support import render_answers, service_answers

BAD_ANSWERS = [
    pytest.param({"service_name": ""}, "service_name is empty", id="empty-name"),
    pytest.param({"service_name": "Orders"}, "service_name 'Orders' is not a DNS-1123 label", id="uppercase"),
    pytest.param({"service_name": "2orders"}, "is not a DNS-1123 label", id="leading-digit"),
    pytest.param({"service_name": "orders-"}, "is not a DNS-1123 label", id="trailing-dash"),
    pytest.param({"service_name": "order_service"}, "is not a DNS-1123 label", id="underscore"),
    pytest.param({"service_name": "bestellüng"}, "is not a DNS-1123 label", id="unicode"),
    pytest.param({"service_name": "a" * 41}, "service_name is 41 characters long: use at most 40", id="too-long"),
    pytest.param({"owner_team": ""}, "owner_team is empty: every service needs exactly one owning team", id="no-owner"),
    pytest.param({"owner_team": "Team Orders"}, "owner_team 'Team Orders' is not a DNS-1123 label", id="owner-space"),
    pytest.param({"domain": ""}, "domain is empty", id="no-domain"),
    pytest.param({"http_port": 0}, "http_port 0 is out of range: use a port from 1024 to 65535", id="port-0"),
    pytest.param({"http_port": 70000}, "http_port 70000 is out of range", id="port-70000"),
    pytest.param({"http_port": 80}, "http_port 80 is out of range", id="privileged-port"),
    pytest.param({"downstreams": "payment"}, "downstreams must be a YAML list", id="downstreams-not-list"),
    pytest.param(
        {"downstreams": ["Payment"]}, "downstreams entry 'Payment' is not a service name", id="bad-downstream"
    ),
    pytest.param({"downstreams": ["orders"]}, "downstreams lists 'orders', the service itself", id="self-call"),
    pytest.param({"downstreams": ["a", "a"]}, "downstreams lists a service twice", id="duplicate-downstream"),
    pytest.param({"description": "  "}, "description is empty", id="blank-description"),
    pytest.param({"description": "x" * 201}, "description is 201 characters long", id="long-description"),
    pytest.param({"description": "two\nlines"}, "description spans several lines", id="multiline-description"),
    pytest.param(
        {"container_registry": "GHCR.io/Acme"},
        "container_registry 'GHCR.io/Acme' is not a registry",
        id="registry-case",
    ),
    pytest.param({"container_registry": "ghcr.io/acme/orders:1.0"}, "is not a registry path", id="registry-tag"),
    pytest.param({"gitops_repo": "platform"}, "gitops_repo 'platform' is not a GitHub repository", id="repo-no-owner"),
    pytest.param({"template": "servce"}, "servce", id="typo-template"),
    pytest.param({"database": "Postgres"}, "Postgres", id="database-wrong-case"),
    pytest.param({"events": "kafka"}, "events=kafka needs database=postgres", id="events-without-database"),
    pytest.param(
        {"database": "postgres", "events": "kafka", "publishes": "orders.events"},
        "publishes must be a YAML list of topic names",
        id="publishes-not-list",
    ),
    pytest.param(
        {"database": "postgres", "events": "kafka", "publishes": ["Orders.Events"]},
        "publishes entry 'Orders.Events' is not a topic name",
        id="topic-case",
    ),
    pytest.param(
        {"database": "postgres", "events": "kafka", "publishes": ["orders.dlt"]},
        "ends in '.dlt', which names dead-letter topics",
        id="publishes-dead-letter-name",
    ),
    pytest.param(
        {"database": "postgres", "events": "kafka", "consumes": ["orders.events"]},
        "consumes lists 'orders.events', which this service publishes",
        id="consumes-own-topic",
    ),
    pytest.param(
        {"database": "postgres", "events": "kafka", "consumes": ["stock.events", "stock.events"]},
        "consumes lists a topic twice",
        id="consumes-twice",
    ),
]


@pytest.mark.parametrize(("override", "message"), BAD_ANSWERS)
def test_bad_answer_is_refused_with_a_clear_message(
    override: dict[str, object], message: str, repo_root: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    with pytest.raises(ValueError, match=r"Validation error|Invalid choice") as refused:
        render_answers(repo_root, dest, service_answers(**override))
    assert message in str(refused.value)
    assert not dest.exists() or not any(dest.iterdir()), "a refused answer must not leave a half-written project"


@pytest.mark.parametrize(
    "override",
    [
        pytest.param({"service_name": "a" + "-b" * 19 + "z"}, id="longest-name-40"),
        pytest.param({"downstreams": ["inventory", "payment"]}, id="two-downstreams"),
        pytest.param({"http_port": 65535, "container_registry": "registry.example.com:5000/team/apps"}, id="edges"),
    ],
)
def test_good_edge_answers_are_accepted(override: dict[str, object], repo_root: Path, tmp_path: Path) -> None:
    answers = service_answers(**override)
    dest = render_answers(repo_root, tmp_path / "out", answers)
    recorded = (dest / ".copier-answers.yml").read_text()
    assert f"service_name: {answers['service_name']}" in recorded
