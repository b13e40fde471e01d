"""Acceptance 2 of issue 11: bad inputs across every command each give one line on stderr and the documented
exit code (README "Exit codes"), never a traceback, and write nothing. The list lives here: add to it when a
command grows an option."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from groundwork.cli import run
from groundwork.errors import ExitCode

REPO = Path(__file__).resolve().parents[1]
USAGE, TOOL = ExitCode.USAGE, ExitCode.MISSING_TOOL
NEW = ["new", "service"]
OK_SERVICE = ["orders", "--team", "team-commerce", "--domain", "commerce"]

# (id, argv, exit code, words the one line must hold). {tmp} is an empty scratch folder, {file} a plain file in
# it, {repo} this checkout (only read: every case is refused before anything is written).
CASES: list[tuple[str, list[str], int, str]] = [
    ("unknown command", ["frobnicate"], USAGE, "No such command 'frobnicate'"),
    ("unknown root option", ["--frob"], USAGE, "No such option: --frob"),
    ("new: no name", [*NEW], USAGE, "Missing argument 'NAME'"),
    ("new: no team", [*NEW, "orders", "--domain", "commerce"], USAGE, "Missing option '--team'"),
    ("new: typo in an option", [*NEW, "orders", "--tema", "t"], USAGE, "No such option: --tema"),
    ("new: port not a number", [*NEW, *OK_SERVICE, "--port", "abc"], USAGE, "'--port'"),
    ("new: upper-case name", [*NEW, "Orders", "--team", "t", "--domain", "d"], USAGE, "is not a DNS-1123 label"),
    ("new: empty name", [*NEW, "", "--team", "t", "--domain", "d"], USAGE, "service_name is empty"),
    ("new: name too long", [*NEW, "a" * 41, "--team", "t", "--domain", "d"], USAGE, "41 characters long"),
    ("new: unicode name", [*NEW, "ördérs", "--team", "t", "--domain", "d"], USAGE, "is not a DNS-1123 label"),
    ("new: port below 1024", [*NEW, *OK_SERVICE, "--port", "80"], USAGE, "http_port 80 is out of range"),
    ("new: port above 65535", [*NEW, *OK_SERVICE, "--port", "70000"], USAGE, "http_port 70000 is out of range"),
    ("new: calls itself", [*NEW, *OK_SERVICE, "--calls", "orders"], USAGE, "the service itself"),
    ("new: calls a bad name", [*NEW, *OK_SERVICE, "--calls", "Inventory"], USAGE, "is not a service name"),
    ("new: calls one twice", [*NEW, *OK_SERVICE, "--calls", "user,user"], USAGE, "lists a service twice"),
    ("new: bad gitops repo", [*NEW, *OK_SERVICE, "--gitops-repo", "not a repo"], USAGE, "is not a GitHub repository"),
    ("new: bad registry", [*NEW, *OK_SERVICE, "--registry", "Ghcr.io/Acme"], USAGE, "is not a registry path"),
    ("new: bad digest", [*NEW, *OK_SERVICE, "--image-digest", "sha256:abc"], USAGE, "is not an image digest"),
    ("new: mutable tag", [*NEW, *OK_SERVICE, "--image-tag", "latest"], USAGE, "image_tag 'latest' is mutable"),
    ("new: SLO over 100", [*NEW, *OK_SERVICE, "--slo-availability", "101"], USAGE, "is out of range"),
    ("new: latency not a bucket", [*NEW, *OK_SERVICE, "--slo-latency-ms", "123"], USAGE, "not a histogram bucket"),
    ("new: empty description", [*NEW, *OK_SERVICE, "--description", " "], USAGE, "description is empty"),
    ("new: two-line description", [*NEW, *OK_SERVICE, "--description", "a\nb"], USAGE, "spans several lines"),
    (
        "new: entry option without entry",
        [*NEW, *OK_SERVICE, "--no-deploy", "--consumers", "gateway"],
        USAGE,
        "--no-deploy",
    ),
    (
        "new: unknown team",
        [*NEW, "orders", "--team", "team-comerce", "--domain", "commerce"],
        USAGE,
        "did you mean team-commerce",
    ),
    (
        "new: unknown domain",
        [*NEW, "orders", "--team", "team-commerce", "--domain", "comerce"],
        USAGE,
        "did you mean commerce",
    ),
    ("new: unknown callee", [*NEW, *OK_SERVICE, "--calls", "paymnt"], USAGE, "did you mean payment"),
    ("new: unknown consumer", [*NEW, *OK_SERVICE, "--consumers", "gatway"], USAGE, "did you mean gateway"),
    ("new: existing service", [*NEW, "order", "--team", "team-commerce", "--domain", "commerce"], USAGE, "already in"),
    ("new: --gitops is a file", [*NEW, *OK_SERVICE, "--gitops", "{file}"], USAGE, "is not a folder"),
    ("new: --plan without entry", [*NEW, *OK_SERVICE, "--no-deploy", "--plan"], USAGE, "drop --no-deploy"),
    ("check: no such path", ["check", "{tmp}/nowhere"], USAGE, "does not exist"),
    ("check: a file", ["check", "{file}"], USAGE, "{file}"),
    ("check: zero workers", ["check", "--workers", "0"], USAGE, "'--workers'"),
    ("check: workers not a number", ["check", "--workers", "two"], USAGE, "'--workers'"),
    ("readiness: unknown format", ["readiness", "--format", "xml"], USAGE, "'xml' is not one of"),
    ("readiness: fail-under above 6", ["readiness", "--fail-under", "7"], USAGE, "'--fail-under'"),
    ("readiness: no such folder", ["readiness", "{tmp}/nowhere"], USAGE, "is not a folder"),
    ("readiness: not a platform", ["readiness", "{tmp}"], USAGE, "holds neither gitops/ nor catalog-info.yaml"),
    ("promote: unknown env", ["promote", "order", "--from", "dev", "--to", "qa"], USAGE, "'qa' is not one of"),
    ("promote: env in capitals", ["promote", "order", "--from", "DEV", "--to", "prod"], USAGE, "'DEV' is not one of"),
    (
        "promote: --open without --commit",
        ["promote", "order", "--from", "dev", "--to", "staging", "--open"],
        USAGE,
        "--open needs --commit",
    ),
    ("promote: backwards", ["promote", "order", "--from", "prod", "--to", "dev", "--repo", "{repo}"], USAGE, "prod"),
    (
        "promote: unknown service",
        ["promote", "nope", "--from", "dev", "--to", "staging", "--repo", "{repo}"],
        USAGE,
        "nope",
    ),
    (
        "promote: not a GitOps repo",
        ["promote", "order", "--from", "dev", "--to", "staging", "--repo", "{tmp}"],
        USAGE,
        "{tmp}",
    ),
    ("dora: unknown format", ["dora", "--format", "yaml"], USAGE, "'yaml' is not one of"),
    ("dora: since not a date", ["dora", "--since", "last tuesday", "--repo", "{repo}"], USAGE, "is not a date"),
    (
        "dora: window backwards",
        ["dora", "--since", "2026-03-09", "--until", "2026-03-01", "--repo", "{repo}"],
        USAGE,
        "is after --until",
    ),
    ("dora: not a repository", ["dora", "--repo", "{tmp}"], USAGE, "{tmp}"),
    ("pr-comment: no --base", ["pr-comment", "--head", "HEAD"], USAGE, "Missing option '--base'"),
    (
        "pr-comment: --output a folder",
        ["pr-comment", "--base", "a", "--head", "b", "--output", "{tmp}"],
        USAGE,
        "is a folder",
    ),
    (
        "pr-comment: --output nowhere",
        ["pr-comment", "--base", "a", "--head", "b", "--output", "{tmp}/no/x.md"],
        USAGE,
        "does not exist",
    ),
    ("pr-comment: not a repository", ["pr-comment", "--base", "a", "--head", "b", "--repo", "{tmp}"], USAGE, "{tmp}"),
    (
        "pr-comment: one report only",
        ["pr-comment", "--base", "HEAD", "--head", "HEAD", "--repo", "{repo}", "--readiness-base", "{file}"],
        USAGE,
        "go together",
    ),
    ("doctor: unknown env", ["doctor", "--env", "gke"], USAGE, "'gke' is not one of 'kind', 'eks'"),
    ("up: empty env", ["up", "--env", ""], USAGE, "'' is not one of"),
    ("up: timeout under a minute", ["up", "--timeout", "5"], USAGE, "'--timeout'"),
    ("down: env in capitals", ["down", "--env", "EKS"], USAGE, "'EKS' is not one of"),
    ("conform: --json a folder", ["conform", "--url", "http://127.0.0.1:9", "--json", "{tmp}"], USAGE, "is a folder"),
]


def _snapshot(folder: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def _repo_status() -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True
    ).stdout


def test_there_are_at_least_forty_bad_inputs_across_every_command() -> None:
    assert len(CASES) >= 40
    commands = {argv[0] for _, argv, _, _ in CASES if not argv[0].startswith("-")}
    assert commands >= {"new", "check", "readiness", "promote", "dora", "pr-comment", "doctor", "up", "down", "conform"}


@pytest.mark.parametrize(("argv", "code", "words"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_one_line_the_documented_code_and_nothing_written(
    argv: list[str],
    code: int,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "file.txt").write_text("not what was asked for\n")
    values = {"{tmp}": str(scratch), "{file}": str(scratch / "file.txt"), "{repo}": str(REPO)}

    def fill(text: str) -> str:
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    monkeypatch.chdir(scratch)
    before, repo_before = _snapshot(scratch), _repo_status()
    argv = [fill(arg) for arg in argv]
    if argv[:2] == NEW and "--dest" not in argv:
        argv += ["--dest", str(scratch / "service"), "--no-lock"]
    assert run(argv) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert fill(words).lower() in lines[0].lower()
    assert _snapshot(scratch) == before, "a refused command wrote into the scratch folder"
    assert _repo_status() == repo_before, "a refused command changed the checkout"


def test_a_missing_judge_is_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "gitops" / "apps").mkdir(parents=True)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert run(["check", str(tmp_path)]) == TOOL
    [line] = capsys.readouterr().err.splitlines()
    assert "is not installed" in line
