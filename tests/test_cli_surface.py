"""The CLI as people expect it: real help when arguments are missing, choices shown and checked in one way,
one table of exit codes (README's), shell completion, progress and colour only where they belong, and a
start-up that imports none of the heavy libraries the commands use."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys
from enum import StrEnum
from pathlib import Path

import pytest
import typer

from groundwork.choices import DoraFormat, Env, ReadinessFormat, Stage
from groundwork.cli import app, run
from groundwork.console import progress
from groundwork.errors import ExitCode
from groundwork.paths import ENVIRONMENTS

REPO = Path(__file__).resolve().parents[1]
SGR = re.compile(r"\x1b\[[0-9;]*m")  # a colour or style escape


@pytest.mark.parametrize(
    ("argv", "usage"),
    [([], "Usage: groundwork [OPTIONS] COMMAND"), (["new"], "Usage: groundwork new [OPTIONS] COMMAND")],
)
def test_a_bare_group_prints_its_real_help(argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(usage)
    assert "Commands:" in captured.out
    assert len(captured.out.splitlines()) > 5, "help must be the real, multi-line help, not one squashed line"


@pytest.mark.parametrize(
    ("argv", "choices"),
    [
        (["doctor", "--help"], "--env <kind|eks|sandbox>"),
        (["up", "--help"], "--env <kind|eks|sandbox>"),
        (["down", "--help"], "--env <kind|eks|sandbox>"),
        (["readiness", "--help"], "--format <table|markdown|json>"),
        (["dora", "--help"], "--format <table|json>"),
        (["promote", "--help"], "--from <dev|staging|prod>"),
        (["promote", "--help"], "--to <dev|staging|prod>"),
    ],
)
def test_help_shows_the_choices(argv: list[str], choices: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == ExitCode.OK
    assert choices in capsys.readouterr().out


CHOICE_OPTIONS = {"--env": Env, "--format": (ReadinessFormat, DoraFormat), "--from": Stage, "--to": Stage}


def test_every_fixed_choice_is_an_enum_checked_by_click() -> None:
    """One validation path: no command compares strings against a list of its own."""
    root = typer.main.get_command(app)
    seen = 0
    stack = [root]
    while stack:
        command = stack.pop()
        stack += list(getattr(command, "commands", {}).values())
        for param in command.params:
            if set(getattr(param, "opts", [])) & set(CHOICE_OPTIONS):
                seen += 1
                annotation = param.get_runtime_param().annotation
                assert isinstance(annotation, type), (command.name, param.opts)
                assert issubclass(annotation, StrEnum), (command.name, param.opts)
                assert annotation.__module__ == "groundwork.choices", (command.name, param.opts)
    assert seen == 7  # doctor/up/down --env, readiness/dora --format, promote --from/--to
    assert tuple(Stage) == ENVIRONMENTS
    for source in (REPO / "platform" / "groundwork" / "commands").glob("*.py"):
        assert "is unknown" not in source.read_text(), f"{source.name} validates a choice by hand"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["doctor", "--env", "gke"], "'gke' is not one of 'kind', 'eks', 'sandbox'"),
        (["up", "--env", "KIND"], "'KIND' is not one of 'kind', 'eks', 'sandbox'"),
        (["readiness", "--format", "xml"], "'xml' is not one of 'table', 'markdown', 'json'"),
        (["dora", "--format", ""], "'' is not one of 'table', 'json'"),
        (["promote", "order", "--from", "dev", "--to", "qa"], "'qa' is not one of 'dev', 'staging', 'prod'"),
    ],
)
def test_a_bad_choice_is_one_line_exit_2(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("error: Invalid value for ")
    assert words in line


def test_the_exit_code_table_in_the_readme_is_the_one_in_the_code() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\d+)` \| (.+?) \|$", section, re.M)
    assert [int(code) for code, _ in rows] == [int(code) for code in ExitCode]


def test_exit_codes_come_from_one_place() -> None:
    """Commands say `typer.Exit(ExitCode.X)`; only groundwork/errors.py gives numbers their meaning."""
    offenders = []
    for source in (REPO / "platform" / "groundwork").rglob("*.py"):
        if source.name in ("errors.py", "checkov_run.py", "stack_build.py", "template.py"):
            continue  # errors.py is the table; the other three are standalone scripts run as subprocesses
        text = source.read_text()
        offenders += [f"{source.name}: {m}" for m in re.findall(r"Exit\(\d+\)|exit_code\s*=\s*\d+", text)]
    assert offenders == []


def test_shell_completion_is_offered_and_completes_commands_and_choices() -> None:
    # --show-completion prints the script of the shell that runs groundwork (shellingham reads the process tree):
    # run it from bash, whatever shell started the tests (make's recipes run under sh).
    script = subprocess.run(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -m groundwork --show-completion; exit $?"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert script.returncode == 0, script.stdout + script.stderr
    assert "_groundwork_completion" in script.stdout
    env = {
        **os.environ,
        "_GROUNDWORK_COMPLETE": "complete_bash",
        "COMP_WORDS": "groundwork doctor --env ",
        "COMP_CWORD": "3",
    }
    words = subprocess.run(
        [sys.executable, "-c", "import sys; sys.argv[0] = 'groundwork'; from groundwork.cli import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert words.stdout.split() == ["kind", "eks", "sandbox"], words.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_plain_lines_off_a_terminal() -> None:
    stream = io.StringIO()
    with progress("groundwork check", stream) as shown:
        shown("rendering 32 overlays of 9 apps")
        shown("native policies")
    assert stream.getvalue() == "groundwork check: rendering 32 overlays of 9 apps\ngroundwork check: native policies\n"


def test_progress_on_a_terminal_is_a_status_line_coloured_only_without_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    coloured = _Terminal()
    with progress("groundwork check", coloured) as shown:
        shown("native policies")
    assert SGR.search(coloured.getvalue()), "a status line on a terminal is styled"
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    with progress("groundwork check", plain) as shown:
        shown("native policies")
    assert "groundwork check" in plain.getvalue()
    assert not SGR.search(plain.getvalue()), "NO_COLOR set: no colour"


HEAVY = ("copier", "ruamel", "jinja2", "pulumi", "rich", "yaml", "kubernetes_validate", "jsonschema", "httpx")


def test_version_and_help_import_none_of_the_heavy_libraries() -> None:
    """The start-up budget (bench/cli measures the time): `--version` loads typer and the command modules only."""
    for argv in (["--version"], ["--help"]):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "groundwork", *argv], capture_output=True, text=True, check=True
        )
        modules = {
            line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
        }
        heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
        assert heavy == [], argv
        assert len(modules) < 300, f"{argv}: {len(modules)} modules imported at start-up"


def test_an_output_path_that_is_a_folder_is_one_line_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    code = run(["pr-comment", "--base", "HEAD~1", "--head", "HEAD", "--repo", str(tmp_path), "--output", str(folder)])
    assert code == ExitCode.USAGE
    [line] = capsys.readouterr().err.splitlines()
    assert line == f"error: --output {folder} is a folder: give a file path, e.g. comment.md"
    assert list(folder.iterdir()) == []


def test_up_dry_run_says_what_it_would_do_and_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in REPO.iterdir())
    stack_file = (REPO / "infra" / "Pulumi.eks.yaml").read_text()
    code = run(["up", "--env", "eks", "--dry-run", "--repo-url", "https://github.com/acme/platform.git"])
    assert code == ExitCode.OK, capsys.readouterr().err
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "would provision 'eks' (cluster groundwork-dev, environment dev)"
    assert "would set groundwork:repoUrl = https://github.com/acme/platform.git in infra/Pulumi.eks.yaml" in out
    assert out[-1] == "nothing was changed (--dry-run)"
    assert sorted(p.name for p in REPO.iterdir()) == before
    assert (REPO / "infra" / "Pulumi.eks.yaml").read_text() == stack_file
