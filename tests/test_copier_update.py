"""Acceptance 6 (issue 2): `copier update` from an earlier template version to HEAD keeps the team's local
edit and otherwise gives exactly what a fresh copy at HEAD gives.

Copier reads versions from git tags, so the test builds a throw-away template repository from this
checkout's files: v0.1.0 is an older template (one file missing, one file different), v0.2.0 is HEAD.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import copier
import pytest

from render_support import service_answers

# The service template of each stack (root copier.yml's `stack` question picks the folder).
SERVICE = {"python": Path("templates/service"), "node": Path("templates/service-node")}
DROPPED = "docs/runbook.md.jinja"  # added in the "newer" version
CHANGED = "Dockerfile.jinja"  # changed between versions
LOCAL_EDIT = "\n## Our team's notes\n\nDeploys happen on Tuesdays.\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", message)


def snapshot_checkout(repo_root: Path, dest: Path) -> None:
    """Copy the files git would ship (tracked + untracked, not ignored) into a fresh repository."""
    listed = git(repo_root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for rel in filter(None, listed):
        source = repo_root / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    git(dest, "init", "-q", "-b", "main")


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


@pytest.fixture(params=list(SERVICE))
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def template_repo(repo_root: Path, tmp_path: Path, stack: str) -> Path:
    tpl = tmp_path / "template"
    snapshot_checkout(repo_root, tpl)
    dropped, changed = SERVICE[stack] / DROPPED, SERVICE[stack] / CHANGED
    head = {dropped: (tpl / dropped).read_bytes(), changed: (tpl / changed).read_bytes()}
    (tpl / dropped).unlink()
    (tpl / changed).write_bytes(b"# an older Dockerfile\n" + head[changed])
    commit_all(tpl, "older template")
    git(tpl, "tag", "v0.1.0")
    for rel, content in head.items():
        (tpl / rel).write_bytes(content)
    commit_all(tpl, "template at HEAD")
    git(tpl, "tag", "v0.2.0")
    return tpl


def test_update_to_head_keeps_local_edit_and_equals_fresh_copy(template_repo: Path, tmp_path: Path, stack: str) -> None:
    answers = service_answers(service_name="ledger", downstreams=["payment"], stack=stack)
    project = tmp_path / "ledger"
    copier.run_copy(str(template_repo), project, data=answers, defaults=True, quiet=True, vcs_ref="v0.1.0")
    assert not (project / "docs/runbook.md").exists()
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated at v0.1.0")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + LOCAL_EDIT)
    commit_all(project, "team notes")

    copier.run_update(project, defaults=True, overwrite=True, quiet=True, vcs_ref="v0.2.0")

    fresh = tmp_path / "fresh"
    copier.run_copy(str(template_repo), fresh, data=answers, defaults=True, quiet=True, vcs_ref="v0.2.0")
    updated, expected = tree(project), tree(fresh)
    assert updated["README.md"].decode() == expected["README.md"].decode() + LOCAL_EDIT
    assert "_commit: v0.2.0" in updated[".copier-answers.yml"].decode()
    assert f"stack: {stack}" in updated[".copier-answers.yml"].decode()
    assert ("package-lock.json" in updated) == (stack == "node")
    del updated["README.md"], expected["README.md"]
    assert sorted(updated) == sorted(expected)
    differing = [name for name in expected if updated[name] != expected[name]]
    assert differing == [], f"files that differ from a fresh copy at HEAD: {differing}"
