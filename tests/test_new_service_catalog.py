"""`groundwork new service` knows the catalog: unknown teams, domains and services are refused in one line
naming the close matches; the other side of every declared edge is updated in the same change (or listed by
--plan); after README's example the gate and readiness pass."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from groundwork.catalog.load import load_catalog
from groundwork.cli import run
from groundwork.errors import ExitCode

REPO = Path(__file__).resolve().parents[1]
PLATFORM_PARTS = ("catalog-info.yaml", "catalog", "gitops", ".github", "infra", "docs", "policies")
README_EXAMPLE = ["orders", "--team", "team-commerce", "--domain", "commerce", "--calls", "inventory,payment"]
README_EXAMPLE += ["--consumers", "gateway"]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """A committed copy of this repository's platform parts, so `git status` shows every file a command wrote."""
    root = tmp_path / "platform"
    root.mkdir()
    for part in PLATFORM_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__", ".groundwork"))
        else:
            shutil.copy2(source, root / part)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "platform")
    return root


def _new(platform: Path, *argv: str) -> int:
    dest = platform.parent / "service"
    return run(["new", "service", *argv, "--dest", str(dest), "--gitops", str(platform / "gitops"), "--no-lock"])


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            ("--team", "team-comerce"),
            "error: --team 'team-comerce' is not a team (Group) in the catalog: did you mean team-commerce",
        ),
        (("--domain", "comerce"), "error: --domain 'comerce' is not a domain in the catalog: did you mean commerce"),
        (
            ("--calls", "inventory,paymnt"),
            "error: --calls 'paymnt' is not a service in the catalog: did you mean payment?",
        ),
        (
            ("--consumers", "gatway"),
            "error: --consumers 'gatway' is not a service in the catalog: did you mean gateway?",
        ),
        (("--team", "team-commerce", "--new-team"), "error: --new-team: team 'team-commerce' already exists"),
    ],
)
def test_unknown_catalog_names_are_one_line_with_close_matches_and_nothing_written(
    platform: Path, change: tuple[str, ...], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = list(README_EXAMPLE)
    for option, value in zip(change[::2], change[1::2], strict=False):
        argv[argv.index(option) + 1] = value
    argv += [flag for flag in change if flag.startswith("--new")]
    assert _new(platform, *argv) == ExitCode.USAGE
    [error] = capsys.readouterr().err.splitlines()
    assert error.startswith(line)
    assert _git(platform, "status", "--porcelain") == ""
    assert not (platform.parent / "service").exists()


def test_plan_lists_each_teams_files_and_writes_nothing(platform: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _new(platform, *README_EXAMPLE, "--plan") == ExitCode.OK
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        "team-commerce: inventory adds 'orders' to consumers: gitops/apps/inventory/.copier-answers.yml, "
    )
    assert "gitops/apps/inventory/base/authorizationpolicy.yaml" in out[0]
    assert out[1].startswith("team-payments: payment adds 'orders' to consumers: ")
    assert out[2] == (
        "team-edge: gateway adds 'orders' to downstreams: gitops/apps/gateway/.copier-answers.yml, "
        "gitops/apps/gateway/catalog-info.yaml"
    )
    assert out[3] == (
        "team-edge: in gateway's own repository run copier update --defaults "
        "--data 'downstreams=[user, order, search, orders]'"
    )
    assert out[-1] == "nothing was written (--plan)"
    assert _git(platform, "status", "--porcelain") == ""
    assert not (platform.parent / "service").exists()


def test_dry_run_prints_what_would_be_written_and_writes_nothing(
    platform: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _new(platform, *README_EXAMPLE, "--dry-run") == ExitCode.OK
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"would create the service repository {(platform.parent / 'service').resolve()}"
    assert any(line.startswith("would change: team-payments: payment adds 'orders'") for line in out)
    assert out[-1] == "nothing was written (--dry-run)"
    assert _git(platform, "status", "--porcelain") == ""
    assert not (platform.parent / "service").exists()


def test_edges_are_updated_on_both_sides_and_src_path_is_no_machine_path(
    platform: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _new(platform, *README_EXAMPLE) == ExitCode.OK, capsys.readouterr().err
    apps = platform / "gitops" / "apps"
    answers = {
        name: yaml.safe_load((apps / name / ".copier-answers.yml").read_text())
        for name in ("inventory", "payment", "gateway", "orders")
    }
    assert "orders" in answers["inventory"]["consumers"]
    assert "orders" in answers["payment"]["consumers"]
    assert "orders" in answers["gateway"]["downstreams"]
    for name, data in answers.items():
        assert data["_src_path"] == "gh:acme/platform", name
    service_answers = yaml.safe_load((platform.parent / "service" / ".copier-answers.yml").read_text())
    assert not str(service_answers["_src_path"]).startswith("/")
    policy = (apps / "inventory" / "base" / "authorizationpolicy.yaml").read_text()
    assert "/sa/orders" in policy
    changed = {line.split()[-1] for line in _git(platform, "status", "--porcelain").splitlines()}
    assert {"gitops/apps/gateway/catalog-info.yaml", "catalog-info.yaml", ".github/CODEOWNERS"} <= changed
    assert "gitops/apps/orders/" in changed


def test_the_other_sides_keep_their_own_edits(platform: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An edge changes only what the new name changes: what CI and the team wrote into an entry stays (the dev
    image CI deployed, a promoted staging digest, a raised prod floor)."""
    inventory = platform / "gitops" / "apps" / "inventory"
    edited = {
        "overlays/dev/kustomization.yaml": ('newTag: "0.1.1"', 'newTag: "4f0c5e1"'),
        "overlays/staging/kustomization.yaml": ("digest: sha256:", "digest: sha256:00"),
        "overlays/prod/replicas.yaml": ("minReplicas: 3", "minReplicas: 5"),
    }
    for name, (old, new) in edited.items():
        text = (inventory / name).read_text()
        assert old in text, name
        (inventory / name).write_text(text.replace(old, new, 1))
    _git(platform, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "team edits")
    assert _new(platform, *README_EXAMPLE) == ExitCode.OK, capsys.readouterr().err
    for name, (_, new) in edited.items():
        assert new in (inventory / name).read_text(), name
    diff = _git(platform, "diff", "--unified=0", "--", "gitops/apps/inventory/overlays")
    assert "/sa/orders" not in diff  # the overlays were not re-rendered: only base/ and the answers learn 'orders'
    assert "cluster.local/ns/orders/sa/orders" in (inventory / "base" / "authorizationpolicy.yaml").read_text()


def test_an_edit_where_the_edge_lands_is_refused_and_nothing_written(
    platform: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = platform / "gitops" / "apps" / "inventory" / "base" / "authorizationpolicy.yaml"
    policy.write_text(policy.read_text().replace("ns/search/sa/search", "ns/search/sa/search-v2"))
    _git(platform, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "team edit")
    assert _new(platform, *README_EXAMPLE) == ExitCode.USAGE
    [error] = capsys.readouterr().err.splitlines()
    assert error.startswith(f"error: {policy}: its own edits overlap adding 'orders' to its consumers: ")
    assert _git(platform, "status", "--porcelain") == ""
    assert not (platform.parent / "service").exists()


def test_a_refusal_after_the_plan_leaves_every_team_untouched(
    platform: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (platform.parent / "service").mkdir()
    (platform.parent / "service" / "mine.txt").write_text("keep")
    assert _new(platform, *README_EXAMPLE) == ExitCode.USAGE
    assert "already exists and is not empty" in capsys.readouterr().err
    assert _git(platform, "status", "--porcelain") == ""


def test_new_team_and_new_domain_are_added_to_the_catalog(platform: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["ledger", "--team", "team-ledger", "--domain", "finance", "--new-team", "--new-domain"]
    assert _new(platform, *argv) == ExitCode.OK, capsys.readouterr().err
    catalog = load_catalog(platform)
    assert "team-ledger" in {group.name for group in catalog.groups.values()}
    assert "finance" in {domain.name for domain in catalog.domains.values()}
    assert "finance" in {system.name for system in catalog.systems.values()}
    assert catalog.component("ledger") is not None


@pytest.mark.slow
def test_after_readme_example_the_gate_and_readiness_pass(platform: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _new(platform, *README_EXAMPLE) == ExitCode.OK, capsys.readouterr().err
    assert run(["check", str(platform)]) == ExitCode.OK, capsys.readouterr().out[-3000:]
    # Add-ons whose charts cannot be fetched here are listed as not judged, by name; nothing else may be.
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith("PASSED"), summary
    assert ": 0 findings in 0 of" in summary, summary
    assert run(["readiness", str(platform), "--strict"]) == ExitCode.OK, capsys.readouterr().out[-3000:]
    out = capsys.readouterr().out
    assert out.startswith("groundwork readiness: 5/6, 1 not yet proven")
    assert "orders (commerce) -> payment (payments), across domains" in out
