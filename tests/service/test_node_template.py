"""The Node.js (TypeScript) service template: rendered through the root copier.yml's `stack` question, it
installs from its committed lock file, passes its own lint, type-check and tests, keeps the platform contract
(`groundwork conform`, every clause), and renders for three answer sets, the longest name and two downstreams."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.fleet import clean_environment

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]

NPM_INSTALL = ["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"]
LONGEST = "s" + "-search" * 5 + "-idx"  # 40 characters, the validator's limit
ANSWER_SETS = {
    "defaults": ["search", "--team", "team-search", "--domain", "discovery"],
    "longest-name-two-downstreams": [
        LONGEST,
        "--team",
        "team-search",
        "--domain",
        "discovery",
        "--calls",
        "catalog,inventory",
        "--port",
        "9090",
    ],
    "other-registry": [
        "search",
        "--team",
        "team-x",
        "--domain",
        "x",
        "--calls",
        "catalog",
        "--registry",
        "registry.example.com:5000/team/x",
        "--gitops-repo",
        "example-org/gitops",
    ],
}


def _run(command: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=cwd, env=clean_environment(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed in {cwd}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def render_node(dest: Path, args: list[str]) -> Path:
    command = [sys.executable, "-m", "groundwork", "new", "service", *args, "--stack", "node", "--no-deploy"]
    command += ["--ref", "HEAD"]  # this checkout's template, uncommitted changes included (not the latest tag)
    _run([*command, "--dest", str(dest)], cwd=dest.parent)
    return dest


@pytest.fixture(scope="module")
def node_service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`search`, calling `beta`, installed with `npm ci` from the committed lock file and built."""
    project = render_node(
        tmp_path_factory.mktemp("node") / "search",
        ["search", "--team", "team-search", "--domain", "discovery", "--calls", "beta"],
    )
    _run(NPM_INSTALL, cwd=project)
    _run(["npm", "run", "build"], cwd=project)
    return project


def test_the_node_service_passes_its_own_tests_lint_and_strict_type_check(node_service: Path) -> None:
    tests = _run(["node", "--test", "dist/test/"], cwd=node_service)
    assert "# fail 0" in tests.stdout
    assert "# pass 12" in tests.stdout
    _run(["npm", "run", "typecheck"], cwd=node_service)
    _run(["npm", "run", "lint"], cwd=node_service)
    config = json.loads((node_service / "tsconfig.json").read_text())
    assert config["compilerOptions"]["strict"] is True


def test_conform_passes_on_the_rendered_node_service(node_service: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "conform.json"
    command = [sys.executable, "-m", "groundwork", "conform", "--json", str(report_path), "--"]
    result = subprocess.run(
        [*command, "node", str(node_service / "dist" / "src" / "main.js")],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(report_path.read_text())
    statuses = {item["clause"]: item["status"] for item in report["results"]}
    assert set(statuses.values()) == {"pass"}, statuses
    # Readiness item 6 cites the committed report (scripts/conformance-reports): it says what the suite finds.
    committed = json.loads((REPO_ROOT / "docs" / "conformance" / "node.json").read_text())
    assert {item["clause"]: item["status"] for item in committed["results"]} == statuses
    assert "application/x-protobuf" in next(r["evidence"] for r in report["results"] if r["clause"] == "traces.export")


@pytest.mark.parametrize("name", list(ANSWER_SETS))
def test_answer_sets_render_a_project_that_type_checks(name: str, node_service: Path, tmp_path: Path) -> None:
    args = ANSWER_SETS[name]
    project = render_node(tmp_path / "project", args)
    service = args[0]
    package = json.loads((project / "package.json").read_text())
    lock = json.loads((project / "package-lock.json").read_text())
    assert package["name"] == lock["name"] == lock["packages"][""]["name"] == service
    assert package["dependencies"] == lock["packages"][""]["dependencies"]
    about = (project / "src" / "about.ts").read_text()
    assert f'export const SERVICE_NAME = "{service}";' in about
    calls = args[args.index("--calls") + 1].split(",") if "--calls" in args else []
    assert (
        f"export const DECLARED_DOWNSTREAMS: readonly string[] = [{', '.join(json.dumps(c) for c in calls)}];" in about
    )
    port = args[args.index("--port") + 1] if "--port" in args else "8080"
    dockerfile = (project / "Dockerfile").read_text()
    assert "npm ci" in dockerfile
    assert "USER 10001:10001" in dockerfile
    assert f"APP_PORT={port}" in dockerfile
    assert dockerfile.count(" AS ") == 2  # two stages
    assert "- typescript" in (project / "catalog-info.yaml").read_text()
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert "groundwork conform --json conform-report.json -- node dist/src/main.js" in workflow
    assert "gitops-repository/gitops/apps/" + service in workflow
    assert "stack: node" in (project / ".copier-answers.yml").read_text()
    # The installed dependencies of the built fixture: the same lock file, so the same tree.
    os.symlink(node_service / "node_modules", project / "node_modules")
    _run(["npx", "tsc", "-p", "tsconfig.json", "--noEmit"], cwd=project)


def test_an_unknown_stack_is_refused_in_one_line_naming_the_option(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "groundwork", "new", "service", "search", "--team", "t", "--domain", "d"]
    result = subprocess.run(
        [*command, "--stack", "rust", "--no-deploy", "--dest", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        env=clean_environment(),
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert "--stack" in result.stderr
    assert not (tmp_path / "x").exists()
    assert shutil.which("node") is not None


# Copies of the built Node service, each breaking one clause in its compiled JavaScript: the suite names it.
NODE_MUTANTS = {
    "retries-on-post": (
        "outbound.no-retry-post",
        "downstream.js",
        'new Set(["GET", "HEAD",',
        'new Set(["POST", "GET", "HEAD",',
    ),
    "raw-path-as-route": (
        "metrics.route-template",
        "telemetry.js",
        "request.is404 ? UNMATCHED_ROUTE",
        "request.is404 ? request.url",
    ),
    "livez-checks-a-dependency": (
        "probes.readyz-dependency",
        "health.js",
        'app.get("/livez", () => ({ status: "ok" }));',
        'app.get("/livez", async (_r, reply) => { const d = await Promise.all(Object.values(checks).map((c) => '
        'c(AbortSignal.timeout(500)))); return d.every((x) => x === undefined) ? { status: "ok" } : '
        'reply.code(503).send({ status: "down" }); });',
    ),
}


@pytest.mark.parametrize("name", list(NODE_MUTANTS))
def test_conform_fails_a_node_mutant_naming_the_broken_clause(name: str, node_service: Path) -> None:
    from groundwork.conform.runner import ConformOptions, run_conformance

    clause, file, old, new = NODE_MUTANTS[name]
    # Inside the project, so node_modules resolves; package.json beside dist/ as in the project.
    copy = node_service / "mutants" / name
    shutil.copytree(node_service / "dist", copy / "dist")
    shutil.copy2(node_service / "package.json", copy / "package.json")
    path = copy / "dist" / "src" / file
    text = path.read_text()
    assert text.count(old) == 1, f"mutant {name}: {old!r} is not once in {file}; update the mutant"
    path.write_text(text.replace(old, new))
    options = ConformOptions(
        command=("node", str(copy / "dist" / "src" / "main.js")),
        downstreams=("beta",),
        only=(clause.split(".")[0], clause),
    )
    report = run_conformance(options)
    assert clause in {result.clause for result in report.failed}, "\n".join(report.lines())


def test_the_node_dockerfile_and_workflow_pass_zizmor_and_checkov(tmp_path: Path) -> None:
    from shipping_support import CHECKOV_CONFIG

    from groundwork.tools import scan_directory
    from judges import zizmor_findings

    project = render_node(tmp_path / "judged", ANSWER_SETS["longest-name-two-downstreams"])
    findings = zizmor_findings(project / ".github" / "workflows" / "ci.yml")
    assert not findings, [f"{f['ident']}: {f['desc']}" for f in findings]
    report = scan_directory(project, ["dockerfile", "github_actions"], config_file=CHECKOV_CONFIG)
    assert report.ok, "checkov failures:\n" + "\n".join(str(check) for check in report.failed)
    judged = {r.file for r in report.passed}
    assert {"/Dockerfile", "/.github/workflows/ci.yml"} <= judged, judged
