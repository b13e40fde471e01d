"""The CLI surface: help, version, and one clear line for every user error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from groundwork import __version__
from groundwork.cli import run


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"groundwork {__version__}"


def test_help_lists_the_new_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage: groundwork" in out
    assert "new" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["new", "service"], "Missing argument 'NAME'"),
        (["new", "service", "orders", "--domain", "commerce"], "Missing option '--team'"),
        (["new", "service", "orders", "--team", "t", "--domain", "d", "--port", "abc"], "'--port'"),
        (["new", "service", "orders", "--tema", "t"], "No such option: --tema"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_are_one_line(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert expected.lower() in lines[0].lower()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["Orders"], "service_name 'Orders' is not a DNS-1123 label"),
        (
            ["orders", "--port", "80"],
            "http_port 80 is out of range: use a port from 1024 to 65535 (e.g. 8080) (set by --port)",
        ),
        (["orders", "--calls", "orders"], "downstreams lists 'orders', the service itself"),
        (["orders", "--gitops-repo", "not a repo"], "gitops_repo 'not a repo' is not a GitHub repository"),
    ],
)
def test_refused_answers_name_the_option_and_write_nothing(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "out" / "svc"
    gitops = tmp_path / "gitops"
    gitops.mkdir()
    code = run(
        ["new", "service", *argv, "--team", "team-a", "--domain", "commerce", "--dest", str(dest), "--no-lock"]
        + ["--gitops", str(gitops)]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ")
    assert expected in err[0]
    assert not (tmp_path / "out").exists()
    assert list(gitops.iterdir()) == [], "a refused answer left files behind"


def test_existing_destination_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    code = run(["new", "service", "orders", "--team", "t", "--domain", "d", "--dest", str(tmp_path), "--no-deploy"])
    assert code == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_console_script_has_no_traceback_on_bad_input(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "groundwork",
            "new",
            "service",
            "ünïcode",
            "--team",
            "t",
            "--domain",
            "d",
            "--dest",
            str(tmp_path / "x"),
            "--no-lock",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "is not a DNS-1123 label" in result.stderr


def test_service_and_its_gitops_entry_are_rendered_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = Path(__file__).resolve().parents[1]
    for part in ("catalog-info.yaml", "catalog", "gitops"):
        copy = shutil.copytree if (repo / part).is_dir() else shutil.copy2
        copy(repo / part, tmp_path / part)
    gitops = tmp_path / "gitops"
    code = run(
        ["new", "service", "ledger", "--team", "team-payments", "--domain", "payments", "--calls", "payment"]
        + ["--consumers", "gateway", "--dest", str(tmp_path / "ledger"), "--gitops", str(gitops), "--no-lock"]
    )
    assert code == 0, capsys.readouterr().err
    entry = gitops / "apps" / "ledger"
    assert (tmp_path / "ledger" / "pyproject.toml").is_file()
    assert sorted(p.name for p in (entry / "overlays").iterdir()) == ["dev"], "no release yet: dev only"
    answers = (entry / ".copier-answers.yml").read_text()
    assert "template: deploy" in answers
    assert "- gateway" in answers
    assert "created its GitOps entry in" in capsys.readouterr().out


def test_a_refused_deploy_answer_writes_neither_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gitops = tmp_path / "gitops"
    gitops.mkdir()
    code = run(
        ["new", "service", "ledger", "--team", "t", "--domain", "d", "--image-digest", "sha256:abc"]
        + ["--dest", str(tmp_path / "ledger"), "--gitops", str(gitops), "--no-lock"]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: image_digest 'sha256:abc' is not an image digest")
    assert err.endswith("(set by --image-digest)")
    assert not (tmp_path / "ledger").exists()
    assert list(gitops.iterdir()) == []


def test_an_empty_name_is_reported_as_such_not_as_the_folder_it_would_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitops = tmp_path / "gitops"
    (gitops / "apps" / "orders").mkdir(parents=True)  # gitops/apps/ + '' is a folder that exists
    code = run(
        ["new", "service", "", "--team", "t", "--domain", "d", "--dest", str(tmp_path / "svc"), "--no-lock"]
        + ["--gitops", str(gitops)]
    )
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == "error: service_name is empty: give the service a name such as 'orders' (set by NAME)"
    assert not (tmp_path / "svc").exists()
    assert [p.name for p in (gitops / "apps").iterdir()] == ["orders"]


def test_options_of_the_gitops_entry_are_refused_with_no_deploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["new", "service", "orders", "--team", "t", "--domain", "d", "--dest", str(tmp_path / "svc")]
    code = run([*argv, "--no-deploy", "--no-lock", "--slo-availability", "101", "--consumers", "gateway"])
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == (
        "error: --consumers, --slo-availability set the GitOps entry, which --no-deploy does not render: "
        "drop --no-deploy, or drop those options"
    )
    assert not (tmp_path / "svc").exists()
