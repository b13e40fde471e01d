"""Issue 11: `groundwork new service` leaves a git repository with one commit whose `_src_path` is the template's
git URL and `_commit` its tag, never a path of this machine, so `copier update` to a newer tag works from a
fresh clone of the service with no extra step and merges cleanly with the team's own edit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from groundwork.cli import run
from groundwork.errors import ExitCode
from test_copier_update import commit_all, git, snapshot_checkout

LOCAL_EDIT = "\n## Our team's notes\n\nDeploys happen on Tuesdays.\n"
NEWER = "\nThis line arrived with the newer template.\n"


@pytest.fixture
def template_url(repo_root: Path, tmp_path: Path) -> tuple[Path, str]:
    """A throw-away copy of this checkout as a template repository, tagged v0.1.0 (tests make their own tags:
    a CI clone may have none)."""
    tpl = tmp_path / "template"
    snapshot_checkout(repo_root, tpl)
    commit_all(tpl, "template")
    git(tpl, "tag", "v0.1.0")
    return tpl, f"git+{tpl.as_uri()}"


def test_a_new_service_is_a_repository_that_copier_update_moves_from_a_fresh_clone(
    template_url: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tpl, url = template_url
    service = tmp_path / "ledger"
    argv = ["new", "service", "ledger", "--team", "team-payments", "--domain", "payments", "--no-deploy"]
    argv += ["--no-lock", "--template", url, "--ref", "v0.1.0", "--dest", str(service)]
    assert run(argv) == ExitCode.OK, capsys.readouterr().err
    assert "(a git repository, first commit made)" in capsys.readouterr().out
    assert git(service, "status", "--porcelain") == ""
    assert len(git(service, "log", "--oneline").splitlines()) == 1
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert (answers["_src_path"], answers["_commit"]) == (url, "v0.1.0")

    readme = tpl / "templates" / "service" / "README.md.jinja"
    title, rest = readme.read_text().split("\n", 1)
    readme.write_text(f"{title}\n{NEWER}\n{rest}")  # at the top; the team's edit is at the bottom
    commit_all(tpl, "newer template")
    git(tpl, "tag", "v0.2.0")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(service), str(clone))
    mine = clone / "README.md"
    mine.write_text(mine.read_text() + LOCAL_EDIT)
    commit_all(clone, "team notes")
    update = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "--vcs-ref", "v0.2.0"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )
    assert update.returncode == 0, update.stderr[-2000:]
    text = mine.read_text()
    assert NEWER.strip() in text
    assert LOCAL_EDIT.strip() in text
    assert "<<<<<<<" not in text
    assert not list(clone.rglob("*.rej"))
    assert yaml.safe_load((clone / ".copier-answers.yml").read_text())["_commit"] == "v0.2.0"


def test_without_git_the_command_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    argv = ["new", "service", "ledger", "--team", "t", "--domain", "d", "--no-deploy", "--no-lock"]
    assert run([*argv, "--dest", str(tmp_path / "ledger")]) == ExitCode.MISSING_TOOL
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: git is not installed")
    assert not (tmp_path / "ledger").exists()
