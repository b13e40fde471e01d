"""Item 1: the stacks exist, are valid and build under mocks; the last provisioning record `groundwork up`
wrote says it finished in under 30 minutes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from readiness_support import START, copy_repo, edit, judge, not_passing, record, statuses

from groundwork.readiness.model import Check, Report, Status
from groundwork.readiness.stacks import build_stacks


def last_up(report: Report) -> Check:
    return next(c for c in report.items[0].checks if c.name == "last-up-under-30-minutes")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("provisioning") / "repo")


def test_a_fast_record_passes_with_its_evidence(root: Path, tmp_path: Path) -> None:
    record(tmp_path, "kind", {"images": 140.3, "pulumi_up": 212.8, "load_images": 18.1, "argocd_wait": 500.0})
    check = last_up(judge(root, state_dir=tmp_path))
    assert check.status == Status.PASS
    assert "took 14.5 minutes" in check.message
    assert check.evidence.counts == {"total_seconds": 871}
    assert check.evidence.files[0].endswith("provision-kind.json")


def test_a_slow_record_flips_item_one_only(root: Path, tmp_path: Path) -> None:
    path = record(tmp_path, "eks", {"pulumi_up": 1500.0, "argocd_wait": 400.0})
    report = judge(root, state_dir=tmp_path)
    assert statuses(report) == {1: Status.FAIL} | {n: Status.PASS for n in range(2, 7)}
    ((_, check),) = not_passing(report)
    assert "took 31.7 minutes, not under 30" in check.message
    assert str(path) in check.message


def test_a_failed_run_does_not_count_as_provisioned(root: Path, tmp_path: Path) -> None:
    record(tmp_path, "kind", {"images": 100.0, "pulumi_up": 200.0, "argocd_wait": 1200.0}, ready=False)
    check = last_up(judge(root, state_dir=tmp_path))
    assert check.status == Status.FAIL
    assert "did not finish: step argocd_wait failed" in check.message


def test_the_latest_record_decides(root: Path, tmp_path: Path) -> None:
    record(tmp_path, "eks", {"pulumi_up": 2400.0}, at=START)
    record(tmp_path, "kind", {"pulumi_up": 300.0}, at=START + timedelta(days=1))
    check = last_up(judge(root, state_dir=tmp_path))
    assert check.status == Status.PASS
    assert "--env kind" in check.message


def test_no_record_yet_is_not_yet_proven_neither_pass_nor_failure(root: Path, tmp_path: Path) -> None:
    report = judge(root, state_dir=tmp_path / "empty")
    check = last_up(report)
    assert check.status == Status.UNPROVEN
    assert check.message.startswith("not yet proven: no provisioning record")
    assert statuses(report) == {1: Status.UNPROVEN} | {n: Status.PASS for n in range(2, 7)}
    assert (report.score, report.failed, [item.spec.number for item in report.unproven]) == (5, (), [1])


def test_an_invalid_stack_flips_item_one(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo")
    edit(root / "infra" / "Pulumi.eks.yaml", "groundwork:awsRegion: eu-west-1", "groundwork:awsRegion: mars-north-1")
    report = judge(root)
    ((number, check),) = not_passing(report)
    assert (number, check.name) == (1, "stacks-exist")
    assert "awsRegion" in check.message


@pytest.mark.slow
def test_stacks_really_build_under_mocks_and_a_broken_one_does_not(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo")
    edit(root / "infra" / "Pulumi.eks.yaml", "groundwork:availabilityZones: 3", "groundwork:availabilityZones: 1")
    builds = build_stacks(root)
    assert builds["kind"].error is None
    assert builds["kind"].types["command:local:Command"] == 1
    assert builds["kind"].types["kubernetes:helm.sh/v3:Release"] == 1
    assert builds["eks"].error is not None
    assert "availabilityZones" in builds["eks"].error
