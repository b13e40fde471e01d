"""`groundwork readiness` on the command line: formats, --fail-under, --service-repos, and bad input as one
line on stderr with a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from readiness_support import REPO_ROOT, copy_repo, copy_repos, edit, fleet_repos

from groundwork.cli import run
from groundwork.readiness.output import schema


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(["readiness", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        ("catalog/groups.yaml", "  name: team-payments\n", "  name: team payments\n", "catalog/groups.yaml:"),
        (
            "catalog/systems.yaml",
            "  domain: domain:discovery\n",
            "  domain: [domain:discovery\n",
            "catalog/systems.yaml:",
        ),
        (
            "gitops/apps/order/catalog-info.yaml",
            "    - payment-api\n",
            "    - payment-api: x\n",
            "gitops/apps/order/catalog-info.yaml:",
        ),
        (".github/CODEOWNERS", "@acme/team-edge\n", "acme-team-edge\n", ".github/CODEOWNERS:"),
    ],
)
def test_a_malformed_catalog_file_is_one_line_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, file: str, old: str, new: str, where: str
) -> None:
    root = copy_repo(tmp_path / "repo")
    edit(root / file, old, new)
    code, out, err = cli(capsys, str(root), "--service-repos", str(fleet_repos()))
    assert code == 2
    assert out == ""
    line = one_line_error(err)
    assert line.startswith(f"error: {where}")
    number = int(line.removeprefix(f"error: {where}").split(":", 1)[0])
    assert number == next(n for n, text in enumerate((root / file).read_text().splitlines(), 1) if new.strip() in text)


def test_a_malformed_descriptor_in_a_service_repository(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repos = copy_repos(tmp_path / "repos")
    edit(repos / "search" / "catalog-info.yaml", "kind: Component", "kind: Komponent")
    code, _, err = cli(capsys, str(REPO_ROOT), "--service-repos", str(repos))
    assert code == 2
    assert one_line_error(err).startswith(f"error: {repos / 'search' / 'catalog-info.yaml'}:")


def test_a_missing_checkout_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repos = copy_repos(tmp_path / "repos")
    (repos / "user").rename(repos / "users")
    code, _, err = cli(capsys, str(REPO_ROOT), "--service-repos", str(repos))
    assert code == 2
    assert "has no checkout of service 'user'" in one_line_error(err)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--format", "xml"], "'xml' is not one of 'table', 'markdown', 'json'"),
        (["--fail-under", "7"], "--fail-under"),
        (["/no/such/repository"], "is not a folder"),
    ],
)
def test_bad_options_are_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    code, _, err = cli(capsys, *argv)
    assert code != 0
    assert words in one_line_error(err)


def progress_lines_only(err: str) -> list[str]:
    """stderr off a terminal: one plain 'groundwork readiness: <stage>' line per stage, nothing else."""
    lines = err.strip().splitlines()
    assert all(line.startswith("groundwork readiness: ") for line in lines), err
    return lines


@pytest.mark.slow
def test_the_fleet_as_json_passes_strict_with_provisioning_not_yet_proven(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, str(REPO_ROOT), "--format", "json", "--strict")
    assert code == 0, err
    assert progress_lines_only(err)[-1] == "groundwork readiness: judging the six items"
    document = json.loads(out)
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
    # No `groundwork up` ran in this checkout: item 1 is "not yet proven", neither a pass nor a failure.
    assert (document["score"], document["total"], document["unproven"]) == (5, 6, 1)
    first = document["items"][0]
    assert (first["key"], first["status"], first["unproven"]) == ("rapid-provisioning", "unproven", 1)
    assert all(item["status"] in ("pass", "warn") for item in document["items"][1:])
    counts = {c["name"]: c["evidence"]["counts"] for item in document["items"] for c in item["checks"]}
    assert counts["stacks-build-under-mocks"]["kind_resources"] > 0


@pytest.mark.slow
def test_strict_and_fail_under_exit_1_below_the_bar(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo")
    rule = root / "gitops/apps/search/base/prometheusrule.yaml"
    rule.write_text(rule.read_text().replace(":slo_availability_error_budget:", ":slo_availability_budget:"))
    argv = ["--format", "markdown", "--service-repos", str(fleet_repos())]
    code, out, err = cli(capsys, str(root), *argv, "--strict")
    assert code == 1
    assert out.startswith("### groundwork readiness: 4/6, 1 not yet proven")
    assert "❔ not yet proven" in out
    assert err.strip().splitlines()[-1] == "readiness --strict: 1 item(s) failed: 2 Basic monitoring"
    assert "search: no PrometheusRule of gitops/apps/search/base/ records namespace_job:slo_availability_error" in out
    code, out, err = cli(capsys, str(root), *argv, "--fail-under", "5")
    assert code == 1
    assert err.strip().splitlines()[-1] == "readiness 4/6 is under --fail-under 5"
    code, out, err = cli(capsys, str(root), *argv)
    assert code == 0, "without --strict or --fail-under the report is information, exit 0"
