"""checkov judges the generated Dockerfile and workflow, run by groundwork's pinned, offline runner in its own
uvx environment, with the platform's one list of justified skips."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from shipping_support import CHECKOV_CONFIG, OTHER_REGISTRY, REPO_ROOT, TWO_DOWNSTREAMS, render

from groundwork.errors import ToolBroken
from groundwork.tools import (
    CHECKOV_VERSION,
    CheckovReport,
    CheckResult,
    checkov_command,
    parse_checkov_json,
    scan_directory,
)

FRAMEWORKS = ["dockerfile", "github_actions"]
ANSWER_SETS = {"ghcr-two-downstreams": TWO_DOWNSTREAMS, "other-registry": OTHER_REGISTRY}


@pytest.fixture(scope="module", params=list(ANSWER_SETS))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("shipping-checkov") / "svc", ANSWER_SETS[request.param])


def ids_on(results: tuple[CheckResult, ...], file: str) -> set[str]:
    return {r.check_id for r in results if r.file == file}


def test_dockerfile_and_workflow_pass_checkov(project: Path) -> None:
    report = scan_directory(project, FRAMEWORKS, config_file=CHECKOV_CONFIG)
    assert report.ok, "checkov failures:\n" + "\n".join(str(check) for check in report.failed)
    # checkov silently ignores a workflow its bundled schema rejects: make sure both files were judged.
    workflow_checks = ids_on(report.passed, "/.github/workflows/ci.yml")
    assert {"CKV_GHA_2", "CKV_GHA_5", "CKV_GHA_6", "CKV2_GHA_1"} <= workflow_checks, workflow_checks
    docker_checks = ids_on(report.passed, "/Dockerfile")
    assert {"CKV_DOCKER_3", "CKV_DOCKER_7", "CKV_DOCKER_8"} <= docker_checks, docker_checks


def test_checkov_fails_a_dockerfile_that_runs_as_root(tmp_path: Path) -> None:
    project = render(tmp_path / "svc", TWO_DOWNSTREAMS)
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert "USER 10001:10001" in dockerfile
    (project / "Dockerfile").write_text(dockerfile.replace("USER 10001:10001", "USER root"), encoding="utf-8")
    report: CheckovReport = scan_directory(project, ["dockerfile"], config_file=CHECKOV_CONFIG)
    assert "CKV_DOCKER_8" in {check.check_id for check in report.failed}


def test_every_skipped_check_is_justified_in_one_place() -> None:
    config = yaml.safe_load(CHECKOV_CONFIG.read_text(encoding="utf-8"))
    skipped = config.get("skip-check", [])
    lines = CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines()
    for check_id in skipped:
        item = lines.index(f"  - {check_id}")
        comment = []
        for line in reversed(lines[:item]):
            if not line.strip().startswith("#"):
                break
            comment.append(line)
        assert comment, f"{check_id} is skipped without a comment saying why"
        assert comment[-1].strip().startswith(f"# {check_id} "), f"the comment above {check_id} must name it first"
        assert len(" ".join(comment)) > 120, f"{check_id}: say why the check does not apply, not just that it is off"


def test_skips_are_needed_and_nowhere_else(project: Path) -> None:
    """A skip that no longer fails is stale; an inline `checkov:skip` would hide a skip from the one list."""
    skipped = set(yaml.safe_load(CHECKOV_CONFIG.read_text(encoding="utf-8")).get("skip-check", []))
    unskipped = scan_directory(project, FRAMEWORKS)
    assert {check.check_id for check in unskipped.failed} == skipped
    template_files = [p for p in (REPO_ROOT / "templates" / "service").rglob("*") if p.is_file()]
    inline = [p for p in template_files if re.search(r"checkov:skip", p.read_text(encoding="utf-8", errors="ignore"))]
    assert not inline, f"inline checkov skips: {inline}"


def test_runner_reads_an_empty_scan_and_refuses_garbage(tmp_path: Path) -> None:
    report = scan_directory(tmp_path, FRAMEWORKS)  # nothing to scan: checkov prints a bare summary object
    assert (report.passed, report.failed, report.skipped) == ((), (), ())
    with pytest.raises(ToolBroken, match="no JSON report"):
        parse_checkov_json("Traceback (most recent call last):\n  boom")


def test_runner_goes_online_only_when_the_pinned_checkov_is_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = subprocess.run(checkov_command(["--version"]), capture_output=True, text=True, check=False)
    assert first.stdout.strip() == CHECKOV_VERSION, first.stderr
    cached = checkov_command(["--version"])
    assert "--offline" in cached, "once it ran, the pinned checkov comes from uv's cache"
    assert cached[cached.index("--from") + 1] == f"checkov=={CHECKOV_VERSION}"
    assert "--skip-download" in cached
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    assert "--offline" not in checkov_command(["--version"]), "a fresh machine must download it once"
