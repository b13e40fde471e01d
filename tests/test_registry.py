"""A new service is catalogued and owned from its first commit: `groundwork new service` adds its lines to the
root catalog-info.yaml Location and to .github/CODEOWNERS, keeping everything else as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from groundwork.cli import run
from groundwork.errors import GroundworkError
from groundwork.registry import register_service


@pytest.fixture
def platform_repo(repo_root: Path, tmp_path: Path) -> Path:
    repo = tmp_path / "platform"
    (repo / ".github").mkdir(parents=True)
    shutil.copytree(repo_root / "gitops", repo / "gitops")
    shutil.copytree(repo_root / "catalog", repo / "catalog")
    shutil.copy(repo_root / "catalog-info.yaml", repo / "catalog-info.yaml")
    shutil.copy(repo_root / ".github" / "CODEOWNERS", repo / ".github" / "CODEOWNERS")
    return repo


def test_new_service_registers_catalog_target_and_codeowners_line(
    platform_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before_catalog = (platform_repo / "catalog-info.yaml").read_text()
    before_owners = (platform_repo / ".github" / "CODEOWNERS").read_text()
    code = run(
        ["new", "service", "ledger", "--team", "team-ledger", "--domain", "finance", "--gitops-repo", "acme/platform"]
        + ["--new-team", "--new-domain", "--dest", str(tmp_path / "ledger")]
        + ["--gitops", str(platform_repo / "gitops"), "--no-lock"]
    )
    assert code == 0, capsys.readouterr().err
    catalog = (platform_repo / "catalog-info.yaml").read_text()
    targets = yaml.safe_load(catalog)["spec"]["targets"]
    assert targets[-1] == "./gitops/apps/ledger/catalog-info.yaml"
    assert catalog.startswith(before_catalog.split("apiVersion")[0]), "the header comments are kept"
    assert (platform_repo / "gitops/apps/ledger/catalog-info.yaml").is_file(), "the target really exists"
    owners = (platform_repo / ".github" / "CODEOWNERS").read_text()
    assert owners.startswith(before_owners)
    assert owners.splitlines()[-1].split() == ["/gitops/apps/ledger/", "@acme/team-ledger"]
    assert "registered 'ledger' in catalog-info.yaml" in capsys.readouterr().out


def test_registering_twice_changes_nothing(platform_repo: Path) -> None:
    assert register_service(platform_repo, "ledger", "team-ledger", "acme").changed
    snapshot = [(p, p.read_text()) for p in (platform_repo / "catalog-info.yaml", platform_repo / ".github/CODEOWNERS")]
    assert register_service(platform_repo, "ledger", "team-ledger", "acme").changed == ()
    assert all(path.read_text() == text for path, text in snapshot)


def test_an_already_listed_service_is_left_alone(platform_repo: Path) -> None:
    assert register_service(platform_repo, "order", "team-commerce", "acme").changed == ()


def test_a_location_without_targets_is_one_clear_error(platform_repo: Path) -> None:
    (platform_repo / "catalog-info.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: Location\nspec: {}\n")
    with pytest.raises(GroundworkError, match=r"no spec\.targets list"):
        register_service(platform_repo, "ledger", "team-ledger", "acme")
