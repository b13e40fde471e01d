"""The three outputs: Markdown that renders as tables on a pull request (parsed with a CommonMark parser and its
GFM table rule), JSON that validates against the schema shipped in the package, and the terminal table."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from readiness_support import copy_repo, edit, judge

from groundwork.readiness.items import autonomy, boundaries, deployment, monitoring, ownership, provisioning
from groundwork.readiness.model import Check, Evidence, Item, Report, Status
from groundwork.readiness.output import render_json, render_markdown, render_table, schema


def tables(markdown: str) -> list[list[list[str]]]:
    """Every table of the document as rows of cell texts (header row first)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    found: list[list[list[str]]] = []
    row: list[str] | None = None
    for token in tokens:
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(_text(token))
        elif token.type == "tr_close" and row is not None:
            found[-1].append(row)
            row = None
    return found


def _text(token: Token) -> str:
    return "".join(child.content for child in token.children or [] if child.type in ("text", "code_inline"))


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = copy_repo(tmp_path_factory.mktemp("output") / "repo")
    edit(
        root / "gitops/apps/payment/base/authorizationpolicy.yaml",
        "              - cluster.local/ns/order/sa/order\n",
        "              - cluster.local/ns/order/sa/order\n              - cluster.local/ns/search/sa/search\n",
    )
    return judge(root)


def test_markdown_is_a_table_of_the_six_items_and_one_of_the_findings(broken: Report) -> None:
    summary, findings, calls = tables(render_markdown(broken))
    assert summary[0] == ["#", "Item", "Status", "Checks passed"]
    assert [row[1] for row in summary[1:]] == [
        "Rapid provisioning",
        "Basic monitoring",
        "Rapid deployment",
        "Developers own deployment",
        "Explicit domain boundaries",
        "Team autonomy",
    ]
    assert [row[2] for row in summary[1:]] == ["✅ pass"] * 4 + ["❌ fail", "✅ pass"]
    passed, total = (int(n) for n in summary[5][3].split("/"))
    assert total - passed == 1  # exactly the one broken check fails (the total grows with the fleet's checks)
    assert findings[0] == ["#", "Check", "Subject", "Status", "Message"]
    ((number, name, subject, status, message),) = findings[1:]
    assert (number, name, subject, status) == ("5", "mesh-policy-matches-catalog", "payment", "❌ fail")
    assert "gitops/apps/payment/base/authorizationpolicy.yaml admits search" in message
    assert calls[0] == ["From", "To", "From domain", "To domain", "Crosses a boundary"]
    assert len(calls) == 10
    assert ["order", "inventory", "commerce", "commerce", "no"] in calls


def test_pipes_and_angle_brackets_survive_in_a_cell() -> None:
    check = Check("dashboard", Status.FAIL, "a | b | c <org> & d", Evidence(), service="svc")
    items = tuple(
        Item(m.SPEC, (check,)) for m in (provisioning, monitoring, deployment, ownership, boundaries, autonomy)
    )
    report = Report("/repo", items, {"service_repos": "x"}, {"domains": {}, "calls": [], "cross_domain_calls": 0})
    summary, findings = tables(render_markdown(report))
    assert len(summary) == 7
    assert all(len(row) == 5 for row in findings)
    assert findings[1][4] == "a | b | c <org> & d"  # escaped for GitHub, read back as written


def test_the_json_of_a_failing_report_validates(broken: Report) -> None:
    document = json.loads(render_json(broken))
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
    assert (document["score"], document["total"]) == (5, 6)
    assert document["items"][4]["status"] == "fail"
    assert document["items"][4]["failed"] == 1


def test_the_schema_refuses_what_the_report_never_writes(broken: Report) -> None:
    document = json.loads(render_json(broken))
    document["items"][0]["checks"][0]["status"] = "skipped"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)


def test_the_terminal_table(broken: Report, tmp_path: Path) -> None:
    text = render_table(broken)
    lines = text.splitlines()
    assert lines[0].startswith("groundwork readiness: 5/6 ")
    assert any(line.split()[:4] == ["5", "Explicit", "domain", "boundaries"] and "FAIL" in line for line in lines)
    assert (
        "[5] FAIL mesh-policy-matches-catalog (payment): payment: gitops/apps/payment/base/authorizationpolicy.yaml"
        in text
    )
    assert "order (commerce) -> payment (payments), across domains" in text
