"""The pull request comment: rendered changes per app/env between two commits of a temporary repository, and
the readiness delta between two reports."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from deploy_flow_support import REPO_ROOT, Repo, digest

from groundwork.cli import run
from groundwork.prdiff.comment import render_comment
from groundwork.prdiff.diff import ObjectDiff, UnitDiff
from groundwork.prdiff.readiness import readiness_delta
from groundwork.prdiff.scope import scope_of

OLD = "sha256:9077ce1b4c51973eecaee5e58f866f1cfaabd67a33a350a223f6ac2e8fab07d6"
NEW = digest("order-2")
STAGING = "gitops/apps/order/overlays/staging/kustomization.yaml"
DEV = "gitops/apps/order/overlays/dev/kustomization.yaml"


@pytest.fixture(scope="module")
def commits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, str, str]:
    """base: the order entry as committed here; head: staging on a new digest (tag and version with it), a
    comment added to dev (renders the same), and an unrelated file outside gitops/."""
    repo = Repo(tmp_path_factory.mktemp("prdiff"))
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", "HEAD", "gitops/apps/order", "gitops/components"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(repo.path, filter="data")
    base = repo.commit("order as rendered", "2026-03-01T09:00:00Z")
    staging = (repo.path / STAGING).read_text()
    staging = staging.replace(OLD, NEW).replace('"0.1.0"', '"0.2.0"')
    (repo.path / STAGING).write_text(staging)
    (repo.path / DEV).write_text((repo.path / DEV).read_text() + "# a note for the team\n")
    repo.write("docs/notes.md", "unrelated\n")
    head = repo.commit("order: promote 0.2.0 to staging", "2026-03-02T09:00:00Z")
    return repo, base, head


def test_the_comment_shows_what_changes_in_the_cluster(
    commits: tuple[Repo, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = commits
    assert run(["pr-comment", "--repo", str(repo.path), "--base", base, "--head", head]) == 0
    comment = capsys.readouterr().out
    assert comment.startswith("<!-- groundwork:pr-comment -->\n## What merging changes in the clusters\n")
    # All three environments of order were rendered at both commits; dev renders the same (a comment only).
    assert "1 of 3 affected targets change (2 render exactly as before)." in comment
    # 14 objects: the per-app dashboard ConfigMap is gone (the fleet has one service dashboard).
    assert "| `order/staging` | 0 | 14 | 0 |" in comment
    assert "order/dev" not in comment
    assert "order/prod" not in comment
    deployment = comment.split("**changed** `Deployment.apps order/order`", 1)[1].split("**changed**", 1)[0]
    assert f"-        image: ghcr.io/acme/order:0.1.0@{OLD}" in deployment
    assert f"+        image: ghcr.io/acme/order:0.2.0@{NEW}" in deployment
    assert "+        app.kubernetes.io/version: 0.2.0" in deployment  # the pod template's label moves too
    assert "docs/notes.md" not in comment


def test_no_rendered_change(commits: tuple[Repo, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, base, _ = commits
    assert run(["pr-comment", "--repo", str(repo.path), "--base", base, "--head", base]) == 0
    assert "nothing changes in the clusters" in capsys.readouterr().out


def test_a_broken_overlay_is_reported_not_raised(
    commits: tuple[Repo, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _, head = commits
    repo.git("switch", "--quiet", "-c", "broken", head)
    (repo.path / STAGING).write_text((repo.path / STAGING).read_text().replace("../../base", "../../nowhere"))
    broken = repo.commit("break staging", "2026-03-03T09:00:00Z")
    repo.git("switch", "--quiet", "main")
    output = tmp_path / "comment.md"
    assert run(["pr-comment", "--repo", str(repo.path), "--base", head, "--head", broken, "--output", str(output)]) == 0
    comment = output.read_text()
    assert "| `order/staging` | does not render | | |" in comment
    assert "Does not render: at this pull request: " in comment
    assert "lstat gitops/apps/order/nowhere: no such file or directory" in comment  # no scratch paths
    assert "groundwork-prdiff-" not in comment


def _report(score: int, statuses: dict[str, str]) -> dict[str, Any]:
    return {
        "schema": 1,
        "score": score,
        "total": 6,
        "items": [
            {
                "key": "rapid-deployment",
                "title": "Rapid deployment",
                "status": "fail" if "fail" in statuses.values() else "pass",
                "checks": [
                    {"name": name, "service": "order", "team": None, "status": status, "message": f"{name} is {status}"}
                    for name, status in statuses.items()
                ],
            }
        ],
    }


def test_readiness_delta_names_what_moved(
    commits: tuple[Repo, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tmp_path / "before.json"
    after = tmp_path / "after.json"
    before.write_text(json.dumps(_report(6, {"ci-opens-gitops-pr": "pass", "digest-pinned": "pass"})))
    after.write_text(json.dumps(_report(5, {"ci-opens-gitops-pr": "pass", "digest-pinned": "fail", "new": "warn"})))
    repo, base, head = commits
    argv = ["pr-comment", "--repo", str(repo.path), "--base", base, "--head", head]
    assert run([*argv, "--readiness-base", str(before), "--readiness-head", str(after)]) == 0
    comment = capsys.readouterr().out
    section = comment.split("## Readiness: 6/6 -> 5/6\n", 1)[1]
    assert "| Rapid deployment | pass | FAIL |" in section
    assert "| Rapid deployment | `digest-pinned` | order | pass | FAIL | digest-pinned is fail |" in section
    assert "| Rapid deployment | `new` | order | - | warn | new is warn |" in section
    assert "ci-opens-gitops-pr" not in section


def test_readiness_reports_must_come_in_pairs_and_be_reports(
    commits: tuple[Repo, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = commits
    argv = ["pr-comment", "--repo", str(repo.path), "--base", base, "--head", head]
    only = tmp_path / "only.json"
    only.write_text("{}")
    assert run([*argv, "--readiness-base", str(only)]) == 2
    assert capsys.readouterr().err.startswith("error: --readiness-base and --readiness-head go together: ")
    assert run([*argv, "--readiness-base", str(only), "--readiness-head", str(only)]) == 2
    assert capsys.readouterr().err == (
        "error: --readiness-base is not a readiness report (schema 1): write it with "
        "'groundwork readiness --format json'\n"
    )
    assert run(["pr-comment", "--repo", str(repo.path), "--base", "nope", "--head", head]) == 2
    assert capsys.readouterr().err.startswith("error: 'nope' is not a commit of ")


def test_scope_maps_files_to_targets() -> None:
    scope = scope_of(
        [
            "gitops/apps/order/overlays/dev/kustomization.yaml",
            "gitops/apps/user/base/deployment.yaml",
            "gitops/apps/README.md",
            "gitops/bootstrap/previews.yaml",
            "gitops/README.md",
            "docs/adr/0005-pr-driven-deploys.md",
        ]
    )
    assert scope.apps == {"order", "user"}
    assert scope.folders == {"bootstrap"}


def test_the_comment_stays_under_githubs_limit() -> None:
    big = "\n".join(f"+line {n}" for n in range(3000))
    units = [UnitDiff(f"svc{n}/dev", (ObjectDiff("ConfigMap svc/x", "added", big),)) for n in range(10)]
    comment = render_comment(units, "a" * 40, "b" * 40, readiness_delta(_report(6, {}), _report(6, {})))
    assert len(comment) < 65_536
    assert "Too long for one comment, not shown: " in comment
    assert "`groundwork pr-comment --base aaaaaaaaaaaa --head bbbbbbbbbbbb`" in comment
    assert comment.rstrip().endswith("No readiness check changes.")
