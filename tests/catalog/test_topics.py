"""Topics in the catalog: an asyncapi API declares them (its AsyncAPI channels), its provider owns them, a
consumer lists the API in consumesApis; consuming a topic is no HTTP call. And the gate's topic rule
(GW_CATALOG_2) on a service's `publishes`/`consumes` answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_support import REPO_ROOT, copy_catalog

from groundwork.catalog.asyncapi import NotAsyncApi, channel_addresses
from groundwork.catalog.errors import CatalogError
from groundwork.catalog.graph import declared_graph
from groundwork.catalog.load import load_catalog
from groundwork.catalog.topics import declared_topics
from groundwork.check.model import Target
from groundwork.check.topic_rule import TOPIC_RULE, topic_findings


def test_the_fleet_declares_its_topics_and_who_consumes_them() -> None:
    catalog = load_catalog(REPO_ROOT)
    topics = declared_topics(catalog)
    assert topics.owners == {
        "order.events": {"order"},
        "inventory.events": {"inventory"},
        "payment.events": {"payment"},
    }
    assert topics.consumers == {
        "order.events": {"inventory", "payment", "notification"},
        "inventory.events": {"order"},
        "payment.events": {"order"},
    }
    calls = {(call.caller, call.callee) for call in declared_graph(catalog).calls}
    assert ("inventory", "order") not in calls, "consuming order.events is not calling order"
    assert ("order", "inventory") in calls


@pytest.mark.parametrize(
    ("definition", "says"),
    [
        ("openapi: 3.1.0\n", "has no `asyncapi:` version"),
        ("asyncapi: 3.0.0\nchannels: {}\n", "declares no channels"),
        ("asyncapi: 3.0.0\nchannels:\n  events:\n    description: no address\n", "channel 'events' has no address"),
        ("asyncapi: [3\n", "is not YAML"),
        (None, "is not a string"),
    ],
)
def test_an_asyncapi_definition_that_declares_no_topic_is_refused(definition: object, says: str) -> None:
    with pytest.raises(NotAsyncApi, match=says):
        channel_addresses(definition)


def test_asyncapi_2_names_topics_by_channel_key_and_3_by_address() -> None:
    assert channel_addresses("asyncapi: 2.6.0\nchannels:\n  order.events: {}\n") == ("order.events",)
    assert channel_addresses("asyncapi: 3.0.0\nchannels:\n  x:\n    address: order.events\n") == ("order.events",)


def test_a_broken_asyncapi_definition_fails_the_catalog_at_its_line(tmp_path: Path) -> None:
    root = copy_catalog(tmp_path)
    entry = root / "gitops" / "apps" / "order" / "catalog-info.yaml"
    entry.write_text(entry.read_text().replace("address: order.events", "adress: order.events"))
    with pytest.raises(CatalogError, match=r"spec\.definition of an asyncapi API channel 'events' has no address"):
        load_catalog(root)


def _entry(tmp_path: Path, answers: str) -> Target:
    app = tmp_path / "gitops" / "apps" / "notification"
    (app / "overlays" / "dev").mkdir(parents=True)
    (app / ".copier-answers.yml").write_text(answers)
    return Target("notification", "dev", app / "overlays" / "dev", "kustomize", service=True)


@pytest.mark.parametrize(
    ("answers", "line", "says"),
    [
        (
            "consumes:\n- order.events\n- loyalty.events\nevents: kafka\npublishes: []\n",
            3,
            "notification consumes topic 'loyalty.events', which no service declares",
        ),
        (
            "consumes:\n- order.events\n- payment.events\nevents: kafka\npublishes: []\n",
            3,
            "notification consumes topic 'payment.events' but its catalog Component does not list payment.events",
        ),
        (
            "consumes:\n- order.events\nevents: kafka\npublishes:\n- order.events\n",
            5,
            "notification publishes topic 'order.events', which its catalog Component does not provide as an API "
            "of type asyncapi; it is owned by order",
        ),
    ],
)
def test_topics_the_catalog_does_not_back_are_findings_on_the_answer(
    tmp_path: Path, answers: str, line: int, says: str
) -> None:
    target = _entry(tmp_path, answers)
    [finding] = topic_findings(load_catalog(REPO_ROOT), [target])
    assert (finding.rule, finding.app, finding.env, finding.line) == (TOPIC_RULE, "notification", "dev", line)
    assert finding.file == target.path.parent.parent / ".copier-answers.yml"
    assert says in finding.message


def test_declared_topics_and_services_without_events_pass(tmp_path: Path) -> None:
    catalog = load_catalog(REPO_ROOT)
    assert (
        topic_findings(catalog, [_entry(tmp_path, "consumes:\n- order.events\nevents: kafka\npublishes: []\n")]) == []
    )
    assert topic_findings(catalog, [_entry(tmp_path / "b", "events: none\nconsumes:\n- anything\n")]) == []
