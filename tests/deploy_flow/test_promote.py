"""`groundwork promote`: the digest dev runs moves to staging/prod, with its tag and version, and nothing else.

Each test works on a fresh git repository holding this checkout's committed tree (`git archive HEAD`), with dev
first pointed at a built image the way the service CI's promote-dev job does it (newName, newTag = commit,
digest, version label)."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from deploy_flow_support import REPO_ROOT, Repo, digest, trailers
from ruamel.yaml import YAML

from groundwork.cli import run

SERVICE = "order"
IMAGE = "ghcr.io/acme/order"
SOURCE_COMMIT = "4f0c5e1d2b3a49587766554433221100aabbccdd"
BUILT = digest("order-build-42")
BUILT_AT = "2026-03-02T09:00:00Z"
DEV = f"gitops/apps/{SERVICE}/overlays/dev/kustomization.yaml"
STAGING = f"gitops/apps/{SERVICE}/overlays/staging/kustomization.yaml"
PROD = f"gitops/apps/{SERVICE}/overlays/prod/kustomization.yaml"


@pytest.fixture(scope="module")
def committed_tree() -> bytes:
    done = subprocess.run(
        [
            "git",
            "-C",
            str(REPO_ROOT),
            "archive",
            "--format=tar",
            "HEAD",
            "gitops",
            "policies",
            "catalog",
            "catalog-info.yaml",
            ".github/CODEOWNERS",
        ],
        capture_output=True,
        check=True,
    )
    return done.stdout


def point_dev_at_build(root: Path) -> None:
    """What promote-dev (templates/service/.github/workflows/ci.yml.jinja) writes into the dev overlay."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    path = root / DEV
    document = yaml.load(path)
    for entry in document["images"]:
        if entry["name"] == IMAGE:
            entry["newName"], entry["newTag"], entry["digest"] = IMAGE, SOURCE_COMMIT, BUILT
    for group in document["labels"]:
        if "app.kubernetes.io/version" in group["pairs"]:
            group["pairs"]["app.kubernetes.io/version"] = SOURCE_COMMIT
    yaml.dump(document, path)


@pytest.fixture
def repo(tmp_path: Path, committed_tree: bytes) -> Repo:
    repo = Repo(tmp_path / "platform")
    with tarfile.open(fileobj=io.BytesIO(committed_tree)) as archive:
        archive.extractall(repo.path, filter="data")
    repo.commit("the platform as committed", "2026-03-01T09:00:00Z")
    point_dev_at_build(repo.path)
    repo.commit(
        f"order: deploy {SOURCE_COMMIT} to dev\n\n{trailers(SERVICE, 'dev', BUILT, BUILT_AT, SOURCE_COMMIT)}",
        "2026-03-02T10:00:00Z",
    )
    return repo


def changed_lines(repo: Repo, path: str) -> list[str]:
    diff = repo.git("diff", "--unified=0", "--", path)
    return [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_promotion_changes_only_the_digest_tag_and_version_lines(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    staging_before = (repo.path / STAGING).read_text()
    assert run(["promote", SERVICE, "--from", "dev", "--to", "staging", "--repo", str(repo.path)]) == 0
    assert repo.git("status", "--porcelain").splitlines() == [f" M {STAGING}"]
    old_digest = "sha256:9077ce1b4c51973eecaee5e58f866f1cfaabd67a33a350a223f6ac2e8fab07d6"
    # The three lines that must move together (quoting kept); comments, order and everything else stay.
    assert changed_lines(repo, STAGING) == [
        '-      app.kubernetes.io/version: "0.1.0"',
        f'+      app.kubernetes.io/version: "{SOURCE_COMMIT}"',
        '-    newTag: "0.1.0"',
        f"-    digest: {old_digest}",
        f'+    newTag: "{SOURCE_COMMIT}"',
        f"+    digest: {BUILT}",
    ]
    after = (repo.path / STAGING).read_text()
    assert after.count("\n") == staging_before.count("\n")
    assert [line for line in after.splitlines() if line.lstrip().startswith("#")] == [
        line for line in staging_before.splitlines() if line.lstrip().startswith("#")
    ]
    out = capsys.readouterr().out
    assert out.startswith(f"{SERVICE}: staging now runs {IMAGE}:{SOURCE_COMMIT}@{BUILT} (promoted from dev)\n")
    assert f"  +    digest: {BUILT}\n" in out


def test_promoting_again_is_a_no_op(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["promote", SERVICE, "--from", "dev", "--to", "staging", "--repo", str(repo.path)]
    assert run(argv) == 0
    capsys.readouterr()
    assert run([*argv, "--digest", BUILT]) == 0
    assert (
        capsys.readouterr().out
        == f"{SERVICE}: staging already runs {IMAGE}:{SOURCE_COMMIT}@{BUILT}: nothing to promote\n"
    )


def test_commit_carries_the_trailers_dora_reads(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    """staging -> prod after dev -> staging: the build time is carried from dev's deployment commit."""
    base = repo.head()
    assert run(["promote", SERVICE, "--from", "dev", "--to", "staging", "--repo", str(repo.path), "--commit"]) == 0
    branch = f"promote/{SERVICE}/staging-{BUILT.removeprefix('sha256:')[:12]}"
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD").strip() == branch
    assert repo.git("diff", "--name-only", base, "HEAD").split() == [STAGING]
    message = repo.git("log", "-1", "--format=%B")
    assert message.startswith(f"{SERVICE}: promote {SOURCE_COMMIT} from dev to staging\n\n")
    assert message.rstrip().endswith(
        f"Service: {SERVICE}\nEnvironment: staging\nPromoted-From: dev\nSource-Commit: {SOURCE_COMMIT}\n"
        f"Image-Digest: {BUILT}\nImage-Built-At: {BUILT_AT}"
    )
    assert repo.git("status", "--porcelain") == ""
    out = capsys.readouterr().out
    assert f"  git push --set-upstream origin {branch}\n" in out
    assert (
        f"  gh pr create --base main --head {branch} --title '{SERVICE}: promote {SOURCE_COMMIT} from dev to staging'"
        in out
    )

    assert run(["promote", SERVICE, "--from", "staging", "--to", "prod", "--repo", str(repo.path), "--commit"]) == 0
    message = repo.git("log", "-1", "--format=%B")
    assert f"Environment: prod\nPromoted-From: staging\nSource-Commit: {SOURCE_COMMIT}\n" in message
    assert f"Image-Built-At: {BUILT_AT}" in message
    assert repo.git("diff", "--name-only", "HEAD~1", "HEAD").split() == [PROD]


def test_open_pushes_and_runs_gh(
    repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    repo.git("remote", "add", "origin", str(origin))
    fake = tmp_path / "bin"
    fake.mkdir()
    record = tmp_path / "gh-args"
    (fake / "gh").write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\necho https://github.com/acme/platform/pull/8\n'
    )
    (fake / "gh").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    argv = ["promote", SERVICE, "--from", "dev", "--to", "staging", "--repo", str(repo.path), "--commit", "--open"]
    assert run(argv) == 0
    assert capsys.readouterr().out.rstrip().endswith("https://github.com/acme/platform/pull/8")
    branch = repo.git("rev-parse", "--abbrev-ref", "HEAD").strip()
    pushed = subprocess.run(["git", "-C", str(origin), "rev-parse", branch], capture_output=True, text=True, check=True)
    assert pushed.stdout.strip() == repo.head()
    args = record.read_text().splitlines()
    assert args[:6] == ["pr", "create", "--base", "main", "--head", branch]


def _without_gh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only_git = tmp_path / "only-git"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(only_git))


def make_unreleased(repo: Repo, service: str) -> None:
    """A service rendered before its first release: only overlays/dev (deploy template, no image_digest)."""
    shutil.copytree(repo.path / "gitops/apps/order", repo.path / f"gitops/apps/{service}")
    for env in ("staging", "prod"):
        shutil.rmtree(repo.path / f"gitops/apps/{service}/overlays/{env}")
    repo.commit("basket: first render", "2026-03-03T09:00:00Z")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["nosuch", "--from", "dev", "--to", "staging"],
            "error: unknown service 'nosuch': no gitops/apps/nosuch/overlays/: use one of gateway, inventory, "
            "notification, order, payment, search, user",
        ),
        (
            [SERVICE, "--from", "dev", "--to", "dev"],
            "error: --from and --to are both 'dev': promote to the next environment, e.g. --from dev --to staging",
        ),
        (
            [SERVICE, "--from", "prod", "--to", "staging"],
            "error: --from prod --to staging goes backwards: promotions go dev -> staging -> prod; roll an "
            "environment back by reverting its promotion pull request",
        ),
        (
            [SERVICE, "--from", "dev", "--to", "qa"],
            "error: Invalid value for '--to': 'qa' is not one of 'dev', 'staging', 'prod'. (see 'groundwork --help')",
        ),
        (
            [SERVICE, "--from", "dev", "--to", "staging", "--digest", digest("other")],
            f"error: --digest {digest('other')} is not running in dev (it runs {BUILT}): promote what dev runs, or "
            "deploy that image to dev first",
        ),
        (
            [SERVICE, "--from", "dev", "--to", "staging", "--digest", "sha256:abc"],
            "error: --digest 'sha256:abc' is not an image digest: write sha256: followed by 64 lowercase hex digits",
        ),
        (
            [SERVICE, "--from", "dev", "--to", "staging", "--open"],
            "error: --open needs --commit: add --commit (the pull request is opened from its branch)",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    repo: Repo, argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    head = repo.head()
    assert run(["promote", *argv, "--repo", str(repo.path)]) == 2
    err = capsys.readouterr().err
    assert err == expected + "\n"
    assert repo.git("status", "--porcelain") == ""
    assert repo.head() == head


def test_the_demo_fleet_as_committed_promotes_dev_to_staging(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    """README's example on any app of the fleet: dev runs a later release than staging, by digest."""
    dev = (repo.path / "gitops/apps/user/overlays/dev/kustomization.yaml").read_text()
    assert run(["promote", "user", "--from", "dev", "--to", "staging", "--repo", str(repo.path)]) == 0
    assert capsys.readouterr().out.startswith(f"user: staging now runs ghcr.io/acme/user:0.1.1@{digest_of(dev)}")
    assert repo.git("status", "--porcelain").splitlines() == [" M gitops/apps/user/overlays/staging/kustomization.yaml"]


def digest_of(overlay_text: str) -> str:
    return next(line.split()[1] for line in overlay_text.splitlines() if line.strip().startswith("digest:"))


def test_dev_by_tag_only_is_refused(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    """A dev overlay CI never deployed to (no digest) has nothing promotable."""
    path = repo.path / "gitops/apps/user/overlays/dev/kustomization.yaml"
    path.write_text("".join(line for line in path.read_text().splitlines(True) if "digest:" not in line))
    repo.commit("user: dev by tag only", "2026-03-03T09:00:00Z")
    head = repo.head()
    assert run(["promote", "user", "--from", "dev", "--to", "staging", "--repo", str(repo.path)]) == 2
    assert capsys.readouterr().err == (
        "error: dev runs ghcr.io/acme/user:0.1.1 by tag only, with no digest: promote an image CI built: merge its "
        "deploy pull request to dev first (it pins the digest)\n"
    )
    assert repo.git("status", "--porcelain") == ""
    assert repo.head() == head


def test_unreleased_service_says_how_to_create_the_overlay(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    make_unreleased(repo, "basket")
    assert run(["promote", "basket", "--from", "dev", "--to", "prod", "--repo", str(repo.path)]) == 2
    assert capsys.readouterr().err == (
        "error: basket has no prod overlay yet (unreleased: its deploy answers have no image_digest): create it "
        f"with 'cd gitops/apps/basket && copier update --defaults --data image_tag={SOURCE_COMMIT} --data "
        f"image_digest={BUILT}' (it renders staging and prod together, both on that image)\n"
    )


def test_open_without_gh_changes_nothing(
    repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_gh(monkeypatch, tmp_path)
    argv = ["promote", SERVICE, "--from", "dev", "--to", "staging", "--repo", str(repo.path), "--commit", "--open"]
    assert run(argv) == 3
    assert capsys.readouterr().err.startswith("error: gh is not installed, so --open cannot open the pull request: ")
    assert repo.git("status", "--porcelain") == ""
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_commit_refuses_a_target_with_uncommitted_edits(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    (repo.path / STAGING).write_text((repo.path / STAGING).read_text() + "# local note\n")
    argv = ["promote", SERVICE, "--from", "dev", "--to", "staging", "--repo", str(repo.path), "--commit"]
    assert run(argv) == 1
    assert capsys.readouterr().err == (
        f"error: {STAGING} has uncommitted changes: "
        "commit or discard them first, so the promotion commit holds only it\n"
    )
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


@pytest.mark.slow
def test_the_promoted_tree_passes_the_gate(repo: Repo) -> None:
    from groundwork.check.runner import CheckOptions, run_check

    assert run(["promote", SERVICE, "--from", "dev", "--to", "staging", "--repo", str(repo.path)]) == 0
    assert run(["promote", SERVICE, "--from", "staging", "--to", "prod", "--repo", str(repo.path)]) == 0
    report = run_check(repo.path, CheckOptions())
    assert report.ok, [str(finding) for finding in report.findings]
    assert any(target.app == SERVICE and target.env == "prod" for target in report.targets)
