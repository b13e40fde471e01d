"""policies/checkov/: the curated allowlist and groundwork's custom checks, judged by the real pinned checkov.

Two checkov invocations for the whole module (session-scoped): `--list` for the built-in IDs, and one scan over
every fixture and example with the gate's configuration.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from groundwork.tools import CheckovReport, checkov_command, checkov_environment, scan_directory

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKOV_DIR = REPO_ROOT / "policies" / "checkov"
CONFIG = CHECKOV_DIR / "config.yaml"
CHECKS_DIR = CHECKOV_DIR / "checks"
FIXTURES_DIR = CHECKOV_DIR / "fixtures"
EXAMPLES_DIR = CHECKOV_DIR / "examples"

CHECK_ID_IN_SOURCE = re.compile(r'\bid="(CKV_GW_\d+)"')
NOT_CHECKS = {"__init__", "gw_k8s"}  # the package marker and the shared helper module


def custom_checks() -> dict[str, str]:
    """{CheckName: check ID} for every check module in policies/checkov/checks/."""
    checks: dict[str, str] = {}
    for path in sorted(CHECKS_DIR.glob("*.py")):
        if path.stem in NOT_CHECKS:
            continue
        ids = CHECK_ID_IN_SOURCE.findall(path.read_text(encoding="utf-8"))
        assert len(ids) == 1, f"{path.name} defines {len(ids)} check IDs; one check per file"
        checks[path.stem] = ids[0]
    return checks


def fixture_files() -> list[Path]:
    return sorted(FIXTURES_DIR.glob("*/*.yaml"))


def config() -> dict[str, object]:
    loaded = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def configured_ids() -> list[str]:
    ids = config()["check"]
    assert isinstance(ids, list)
    return [str(i) for i in ids]


@pytest.fixture(scope="session")
def builtin_kubernetes_ids(scan: CheckovReport) -> set[str]:
    """Every Kubernetes check ID the pinned checkov knows, from `checkov --list` (offline: `scan` has put the
    pinned checkov in uv's cache)."""
    result = subprocess.run(
        checkov_command(["--list", "--framework", "kubernetes"], offline=True),
        capture_output=True,
        text=True,
        check=True,
        env=checkov_environment(),
        timeout=600,
    )
    ids = set(re.findall(r"^\|\s*\d+\s*\|\s*(CKV2?_K8S_\d+)\s*\|", result.stdout, re.MULTILINE))
    assert len(ids) > 100, f"checkov --list printed too few Kubernetes checks:\n{result.stdout[:2000]}"
    return ids


@pytest.fixture(scope="session")
def scan(tmp_path_factory: pytest.TempPathFactory) -> CheckovReport:
    """One checkov run, exactly as the gate runs it, over a copy of fixtures/ and examples/."""
    root = tmp_path_factory.mktemp("checkov-scan")
    shutil.copytree(FIXTURES_DIR, root / "fixtures")
    shutil.copytree(EXAMPLES_DIR, root / "examples")
    return scan_directory(root, ["kubernetes"], config_file=CONFIG, external_checks_dirs=[CHECKS_DIR])


def results_by_file(report: CheckovReport) -> dict[str, dict[str, list[str]]]:
    """{'/fixtures/<Check>/<file>': {'passed': [ids], 'failed': [ids]}}."""
    table: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"passed": [], "failed": []})
    for verdict, results in (("passed", report.passed), ("failed", report.failed)):
        for result in results:
            table[result.file][verdict].append(result.check_id)
    return table


# --- the configuration ---


def test_config_is_an_allowlist_for_kubernetes_with_offline_flags() -> None:
    settings = config()
    assert settings["framework"] == ["kubernetes"]
    assert settings["skip-download"] is True
    assert settings["output"] == ["json"]
    assert "skip-check" not in settings, "the gate is an allowlist: list what runs under 'check'"
    ids = configured_ids()
    assert len(ids) == len(set(ids)), "an ID is listed twice"


@pytest.mark.slow  # runs the pinned checkov (shared session-wide)
def test_every_builtin_id_exists_in_checkov(builtin_kubernetes_ids: set[str]) -> None:
    builtin = [i for i in configured_ids() if not i.startswith("CKV_GW_")]
    unknown = sorted(set(builtin) - builtin_kubernetes_ids)
    assert not unknown, f"not Kubernetes checks in checkov: {unknown}"
    # The two the gate must always name: a missing readinessProbe and an image ':latest'.
    assert {"CKV_K8S_9", "CKV_K8S_14"} <= set(builtin)


def test_every_listed_id_has_a_comment_saying_why() -> None:
    listed = re.findall(r"^\s*-\s*(CKV\S*)(.*)$", CONFIG.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(listed) == len(configured_ids())
    for check_id, rest in listed:
        assert re.match(r"\s+#\s*\S.{10,}", rest), f"{check_id} has no comment saying why it applies"


def test_custom_ids_in_config_are_exactly_the_checks_folder() -> None:
    configured = {i for i in configured_ids() if i.startswith("CKV_GW_")}
    defined = set(custom_checks().values())
    assert configured == defined
    assert len(defined) == len(custom_checks()), "two check files share an ID"


def test_external_checks_dir_is_the_checks_folder_relative_to_the_repo_root() -> None:
    dirs = config()["external-checks-dir"]
    assert dirs == ["policies/checkov/checks"]
    assert (REPO_ROOT / "policies/checkov/checks/__init__.py").is_file(), "checkov loads no check without it"


@pytest.mark.slow  # runs the pinned checkov (shared session-wide)
def test_every_custom_check_ran_and_both_verdicts_were_seen(scan: CheckovReport) -> None:
    """checkov logs and skips a check file that fails to import, so prove each one was loaded and judged."""
    for name, check_id in custom_checks().items():
        assert any(r.check_id == check_id for r in scan.passed), f"{name} ({check_id}) never passed anything"
        assert any(r.check_id == check_id for r in scan.failed), f"{name} ({check_id}) never failed anything"


# --- the custom checks, against their fixtures ---


def test_every_custom_check_has_passing_and_failing_fixtures() -> None:
    checks = custom_checks()
    folders = {p.name for p in FIXTURES_DIR.iterdir() if p.is_dir()}
    assert folders == set(checks), "one fixtures/<CheckName>/ folder per check, and no other"
    for name in checks:
        kinds = {p.name.split("_", 1)[0] for p in (FIXTURES_DIR / name).glob("*.yaml")}
        assert kinds == {"pass", "fail"}, f"fixtures/{name}/ needs pass_*.yaml and fail_*.yaml files only"


@pytest.mark.slow  # runs the pinned checkov (shared session-wide)
@pytest.mark.parametrize("fixture", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_gets_its_verdict(scan: CheckovReport, fixture: Path) -> None:
    check_id = custom_checks()[fixture.parent.name]
    verdicts = results_by_file(scan)[f"/fixtures/{fixture.parent.name}/{fixture.name}"]
    if fixture.name.startswith("pass_"):
        assert check_id in verdicts["passed"], f"{check_id} did not judge {fixture.name}"
        assert check_id not in verdicts["failed"], f"{check_id} failed a passing fixture"
    else:
        assert check_id in verdicts["failed"], f"{check_id} let {fixture.name} through"


# --- what the gate must say about whole rendered services ---


@pytest.mark.slow  # runs the pinned checkov (shared session-wide)
def test_reference_service_passes_every_configured_check(scan: CheckovReport) -> None:
    verdicts = results_by_file(scan)["/examples/orders__prod.yaml"]
    failures = [str(r) for r in scan.failed if r.file == "/examples/orders__prod.yaml"]
    assert not failures, "\n".join(failures)
    # It was judged by the probes, image, security-context and every workload/namespace custom check.
    expected = {"CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_14", "CKV_K8S_21", "CKV_K8S_22"}
    expected |= {"CKV_GW_1", "CKV_GW_2", "CKV_GW_5", "CKV_GW_6"}
    assert expected <= set(verdicts["passed"])


@pytest.mark.slow  # runs the pinned checkov (shared session-wide)
def test_missing_readiness_probe_and_latest_in_prod_are_named(scan: CheckovReport) -> None:
    failed = {r.check_id: r for r in scan.failed if r.file == "/examples/unsafe__prod.yaml"}
    assert {"CKV_K8S_9", "CKV_K8S_14", "CKV_GW_5"} <= set(failed)
    assert "Readiness Probe" in failed["CKV_K8S_9"].name
    assert "latest" in failed["CKV_K8S_14"].name
    assert "digest" in failed["CKV_GW_5"].name
    assert all(r.resource == "Deployment.unsafe.unsafe" for r in failed.values() if r.check_id.startswith("CKV_K8S"))
