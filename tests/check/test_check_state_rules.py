"""Acceptance 3 of issue 16: the gate's database and topic rules on the capstone fleet.

A committed copy of this repository's platform, with three faults planted in three services of the fleet, is
judged by `groundwork check --changed-since HEAD` (the pull-request gate): a service reading another's database
(GW_NATIVE_6), a plaintext database password (GW_NATIVE_7) and a consumer of a topic nobody declares
(GW_CATALOG_2) each fail it with one clear finding per environment, on the file and line to edit, and nothing
else is found. The unplanted fleet passes the full gate in tests/test_new_service_catalog.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from check_support import ENVS, GateRun, edit_yaml, findings_of, run_cli

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PLATFORM_PARTS = ("catalog-info.yaml", "catalog", "gitops", ".github", "infra", "docs", "policies")
UNDECLARED = "loyalty.events"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)


def _env(app: Path, variable: dict[str, Any]) -> None:
    def change(deployment: dict[str, Any]) -> None:
        deployment["spec"]["template"]["spec"]["containers"][0]["env"].append(variable)

    edit_yaml(app / "base" / "deployment.yaml", change)


def _consume_undeclared(app: Path) -> None:
    """What `copier update --data 'consumes=[..., loyalty.events]'` writes into the entry."""
    answers = app / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("consumes:\n", f"consumes:\n- {UNDECLARED}\n"))
    catalog = app / "catalog-info.yaml"
    catalog.write_text(catalog.read_text().replace("  consumesApis:\n", f"  consumesApis:\n    - {UNDECLARED}\n"))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GateRun]:
    root = tmp_path_factory.mktemp("fleet") / "platform"
    root.mkdir()
    for part in PLATFORM_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__", ".groundwork"))
        else:
            shutil.copy2(source, root / part)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "fleet")
    apps = root / "gitops" / "apps"
    _env(
        apps / "inventory",
        {"name": "APP_DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "order-db-app", "key": "uri"}}},
    )
    _env(
        apps / "payment",
        {"name": "APP_DATABASE_URL", "value": "postgresql://payment:hunter2@payment-db-rw:5432/payment"},
    )
    _consume_undeclared(apps / "notification")
    code, out, err = run_cli(["check", str(root), "--changed-since", "HEAD", "--json"])
    assert out.strip(), err
    return root, GateRun(code, out, err, json.loads(out))


def _line_of(root: Path, file: str, text: str) -> int:
    lines = (root / file).read_text().splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


@pytest.mark.parametrize(
    ("app", "rule", "file", "says", "line_of"),
    [
        (
            "inventory",
            "GW_NATIVE_6",
            "gitops/apps/inventory/base/deployment.yaml",
            "container 'inventory' env APP_DATABASE_URL reads the database of 'order' (Secret order-db-app)",
            "name: order-db-app",
        ),
        (
            "payment",
            "GW_NATIVE_7",
            "gitops/apps/payment/base/deployment.yaml",
            "container 'payment' env APP_DATABASE_URL holds a URL with its password in plain text",
            "hunter2",
        ),
        (
            "notification",
            "GW_CATALOG_2",
            "gitops/apps/notification/.copier-answers.yml",
            f"notification consumes topic '{UNDECLARED}', which no service declares",
            f"- {UNDECLARED}",
        ),
    ],
)
def test_each_planted_fault_fails_the_gate_with_a_clear_finding(
    planted: tuple[Path, GateRun], app: str, rule: str, file: str, says: str, line_of: str
) -> None:
    root, run = planted
    assert run.code == 1
    for env in ENVS:
        found = [f for f in findings_of(run.report, app, env) if f["rule"] == rule]
        assert [(f["file"], f["line"]) for f in found] == [(file, _line_of(root, file, line_of))], found
        assert says in found[0]["message"]
        assert "\n" not in found[0]["message"]


def test_nothing_else_is_found(planted: tuple[Path, GateRun]) -> None:
    _, run = planted
    rules = {
        (f["app"], f["rule"]) for app in ("inventory", "payment", "notification") for f in findings_of(run.report, app)
    }
    # checkov's CKV_K8S_35 (secrets as files, not env) also judges the way inventory takes the Secret.
    assert rules == {
        ("inventory", "GW_NATIVE_6"),
        ("inventory", "CKV_K8S_35"),
        ("payment", "GW_NATIVE_7"),
        ("notification", "GW_CATALOG_2"),
    }
    judged = {group["app"] for group in run.report["targets"] if group["findings"]}
    assert judged == {"inventory", "payment", "notification"}
