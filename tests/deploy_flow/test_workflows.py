"""This repository's own workflows (.github/workflows): judged by zizmor (offline) and GitHub's workflow schema,
plus what a reviewer checks: SHA pins (the same verified pins as the service template), no default permissions,
least privilege per job, no credentials left on disk, no expression inside a shell script, no deployment by
hand, and every `groundwork` command they call exists with the options they pass. Each judge is also shown a
broken workflow, so a judge that stopped judging fails the tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_flow_support import REPO_ROOT

from groundwork.cli import run
from judges import tool, zizmor_findings

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
TEMPLATE_CI = REPO_ROOT / "templates" / "service" / ".github" / "workflows" / "ci.yml.jinja"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)(?P<comment>.*)$")
GROUNDWORK = re.compile(r"groundwork ([a-z][a-z-]*)((?: +(?:\"[^\"]*\"|'[^']*'|[^\s|>;&]+))*)")


def load(path: Path) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:  # PyYAML reads the `on:` key as True
        document["on"] = document.pop(True)
    return document


def schema(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, job_name, step)
        for path in FILES
        for job_name, job in load(path)["jobs"].items()
        for step in job["steps"]
    ]


def test_there_are_the_three_workflows() -> None:
    assert [p.name for p in FILES] == ["ci.yml", "gitops.yml", "runtime-release.yml"]


def test_zizmor_finds_nothing() -> None:
    findings = zizmor_findings(WORKFLOWS)
    summary = [f"{f['ident']}: {f['desc']} at {f['locations'][0]['symbolic']['annotation']}" for f in findings]
    assert not findings, "zizmor --offline findings:\n" + "\n".join(summary)


def test_zizmor_catches_an_injected_expression(tmp_path: Path) -> None:
    text = (WORKFLOWS / "gitops.yml").read_text(encoding="utf-8")
    step = "        run: uv run --locked groundwork check . --changed-since HEAD^1\n"
    assert step in text
    broken = tmp_path / "gitops.yml"
    injected = "        run: echo '${{ github.event.pull_request.title }}' && uv run --locked groundwork check .\n"
    broken.write_text(text.replace(step, injected), encoding="utf-8")
    assert "template-injection" in {f["ident"] for f in zizmor_findings(broken)}


def test_the_github_workflow_schema_accepts_them(tmp_path: Path) -> None:
    result = schema(FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "ci.yml"
    broken.write_text((WORKFLOWS / "ci.yml").read_text(encoding="utf-8").replace("runs-on:", "runs_on:", 1))
    assert schema([broken]).returncode == 1, "the schema must reject a misspelt job key"


def _pins(text: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = USES.match(line)
        if match:
            pins.setdefault(match["action"], f"{match['ref']}{match['comment']}")
    return pins


def test_every_action_is_pinned_like_the_service_template() -> None:
    verified = _pins(TEMPLATE_CI.read_text(encoding="utf-8"))
    for path in FILES:
        for line in (line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line):
            match = USES.match(line)
            assert match, f"{path.name}: not an owner/repo@ref action: {line.strip()}"
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"{path.name}: not pinned by SHA: {line.strip()}"
            assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", match["comment"]), f"{path.name}: no version: {line.strip()}"
            assert verified.get(match["action"]) == f"{match['ref']}{match['comment']}", (
                f"{path.name}: {match['action']} is not pinned as the service template pins it"
            )


def test_permissions_are_empty_by_default_and_least_per_job() -> None:
    # The runtime release mints an OIDC token for PyPI's trusted publishing, and only on a runtime-v* tag.
    allowed_writes = {("gitops.yml", "comment"): {"pull-requests"}, ("runtime-release.yml", "release"): {"id-token"}}
    pushes = {"runtime-release.yml": {"tags": ["runtime-v*"]}}
    for path in FILES:
        workflow = load(path)
        assert workflow["permissions"] == {}, f"{path.name}: top-level permissions must be {{}}"
        assert set(workflow["on"]) <= {"pull_request", "push"}, f"{path.name}: {set(workflow['on'])}"
        assert workflow["on"]["push"] == pushes.get(path.name, {"branches": ["main"]})
        for name, job in workflow["jobs"].items():
            permissions = job["permissions"]
            writes = {scope for scope, level in permissions.items() if level != "read"}
            assert writes == allowed_writes.get((path.name, name), set()), f"{path.name}/{name}: {permissions}"
            assert set(permissions) <= {"contents", "pull-requests", "id-token"}, f"{path.name}/{name}: {permissions}"
            assert job["timeout-minutes"] <= 90


def test_checkouts_leave_no_credentials_and_scripts_expand_no_expressions() -> None:
    checkouts = [(w, step) for w, _, step in steps() if str(step.get("uses", "")).startswith("actions/checkout@")]
    assert {w for w, _ in checkouts} == {p.name for p in FILES}  # every workflow checks out, so each is covered
    assert all(step["with"]["persist-credentials"] is False for _, step in checkouts)
    for workflow, job, step in steps():
        assert "${{" not in step.get("run", ""), f"{workflow}/{job}: '{step.get('name')}' expands an expression"


def test_the_suite_runs_and_main_deploys_nothing_by_hand() -> None:
    ci = load(WORKFLOWS / "ci.yml")
    assert [step.get("run") for step in ci["jobs"]["test"]["steps"] if "run" in step] == ["make test"]
    scripts = "\n".join(step.get("run", "") for _, _, step in steps())
    for deploy in ("kubectl apply", "kubectl create", "argocd app sync", "helm install", "helm upgrade"):
        assert deploy not in scripts
    gitops = load(WORKFLOWS / "gitops.yml")
    on_main = [name for name, job in gitops["jobs"].items() if "push" in job["if"]]
    assert on_main == ["gate-full", "dora"]
    assert "pull_request" in gitops["jobs"]["comment"]["if"]
    # The comment job never runs for a fork's pull request (its token could not comment anyway).
    assert "github.event.pull_request.head.repo.full_name == github.repository" in gitops["jobs"]["comment"]["if"]


def test_pull_requests_get_the_incremental_gate_and_main_the_full_one() -> None:
    jobs = load(WORKFLOWS / "gitops.yml")["jobs"]

    def gate_runs(job: str) -> list[str]:
        return [s["run"] for s in jobs[job]["steps"] if "groundwork check" in s.get("run", "")]

    assert "pull_request" in jobs["gate"]["if"]
    assert gate_runs("gate") == ["uv run --locked groundwork check . --changed-since HEAD^1"]
    assert "push" in jobs["gate-full"]["if"]
    assert gate_runs("gate-full") == ["uv run --locked groundwork check . --no-cache"]


def test_both_gates_run_readiness_strict() -> None:
    """A failed readiness item fails the pull request and main, as README's `readiness --strict` says CI runs it."""
    jobs = load(WORKFLOWS / "gitops.yml")["jobs"]
    for job in ("gate", "gate-full"):
        runs = [s.get("run", "") for s in jobs[job]["steps"]]
        assert "uv run --locked groundwork readiness . --strict" in runs, job
        assert runs.index("uv run --locked groundwork readiness . --strict") > next(
            i for i, run in enumerate(runs) if "groundwork check" in run
        ), f"{job}: readiness runs after the gate"


def _invocations() -> list[tuple[str, list[str]]]:
    found = []
    for _, _, step in steps():
        script = step.get("run", "").replace("\\\n", " ")
        for match in GROUNDWORK.finditer(script):
            flags = [word for word in match.group(2).split() if word.startswith("--")]
            found.append((match.group(1), flags))
    return found


def test_every_groundwork_command_the_workflows_call_exists(capsys: pytest.CaptureFixture[str]) -> None:
    invocations = _invocations()
    assert {command for command, _ in invocations} == {"check", "readiness", "pr-comment", "dora"}
    for command, flags in invocations:
        assert run([command, "--help"]) == 0, command
        help_text = capsys.readouterr().out
        for flag in flags:
            assert flag in help_text, f"groundwork {command} has no option {flag}"
