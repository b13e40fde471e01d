"""The suite's clause ids are the contract's, its buckets are copier.yml's, and its command line refuses what
it cannot run in one line (exit 2), or fails every clause when the service does not start (exit 1)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from groundwork.cli import run
from groundwork.conform import prom
from groundwork.conform.contract import CLAUSES, CONTRACT_VERSION, PLATFORM_BUCKETS
from groundwork.conform.model import Recorder, build_report
from groundwork.conform.runner import ConformError, select

ROW = re.compile(r"^\| `([a-z]+\.[a-z-]+)` \| (.+) \|$")


def test_the_contract_doc_lists_exactly_the_clauses_the_suite_reports(repo_root: Path) -> None:
    text = (repo_root / "docs" / "platform-contract.md").read_text()
    assert text.startswith(f"# The platform contract ({CONTRACT_VERSION})")
    rows = dict(match.groups() for line in text.splitlines() if (match := ROW.match(line)))
    assert rows == {clause: statement.replace("|", "/") for clause, statement in CLAUSES.items()}


def test_the_suite_judges_buckets_against_copier_yml(repo_root: Path) -> None:
    questions = yaml.safe_load((repo_root / "copier.yml").read_text())
    assert tuple(yaml.safe_load(questions["http_latency_buckets"]["default"])) == PLATFORM_BUCKETS


def test_prometheus_text_is_parsed_with_types_labels_and_escapes() -> None:
    text = (
        "# HELP http_requests_total x\n# TYPE http_requests counter\n"
        'http_requests_total{method="GET",route="/a \\"b\\"",status="200"} 3.0\n'
        'http_request_duration_seconds_bucket{le="+Inf"} 1 1700000000\n'
    )
    exposition = prom.parse(text)
    assert exposition.type_of("http_requests_total") == "counter"
    assert exposition.value("http_requests_total", method="GET") == 3.0
    assert exposition.series("http_requests_total")[0].labels["route"] == '/a "b"'
    with pytest.raises(prom.ExpositionError, match="line 1 is not a sample"):
        prom.parse("<html>not metrics</html>")


def test_a_clause_no_check_reached_fails_the_report() -> None:
    recorder = Recorder()
    recorder.passed("probes.livez", "200")
    recorder.failed("probes.livez", "later 503")  # a later failure overrides a pass
    report = build_report("x", recorder, ("probes.livez", "probes.readyz"))
    assert [r.status.value for r in report.results] == ["fail", "not run"]
    assert not report.ok
    assert json.loads(report.to_json())["counts"] == {"pass": 0, "fail": 1, "n/a": 0, "not run": 1}


def test_clause_selection_takes_ids_and_groups_and_names_an_unknown_one() -> None:
    assert select(["outbound.timeout"]) == ("outbound.timeout",)
    assert set(select(["shutdown"])) == {"shutdown.readiness", "shutdown.drain"}
    with pytest.raises(ConformError, match=r"--clause outbund names no clause \(groups: config, logs"):
        select(["outbund"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: nothing to test: give '-- <command>' that starts the service, or --url"),
        (["--url", "http://127.0.0.1:9", "--", "true"], "error: give either --url or '-- <command>', not both"),
        (["--clause", "nope", "--", "true"], "error: --clause nope names no clause"),
    ],
)
def test_conform_refuses_what_it_cannot_run_in_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["conform", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message)
    assert len(captured.err.splitlines()) == 1
    assert captured.out == ""


def test_a_service_that_exits_at_start_fails_every_clause_with_its_last_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_path = tmp_path / "report.json"
    command = [sys.executable, "-c", "import sys; print('boom: APP_FOO missing'); sys.exit(3)"]
    assert run(["conform", "--json", str(report_path), "--", *command]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"platform contract v1: {len(CLAUSES)} fail")
    report = json.loads(report_path.read_text())
    assert report["counts"]["fail"] == len(CLAUSES)
    assert "exited with 3 before answering /startupz 200: boom: APP_FOO missing" in report["results"][0]["evidence"]
