"""`checkov_run.py` (checkov's command line with libyaml parsing and a remembered allowlist match) must judge
exactly as checkov itself: the same parsed documents, line for line, and the same failed checks."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from groundwork import tools
from groundwork.check.errors import ToolBroken
from groundwork.check.model import Document, Target
from groundwork.check.policy import POLICIES_CONFIG, RUNNER, _write

pytestmark = pytest.mark.slow

# Parses every file given with checkov's own JSON loader, then again after checkov_run.speed_up().
COMPARE = """
import importlib.util, json, sys
from pathlib import Path
from checkov.kubernetes.parser import k8_json
spec = importlib.util.spec_from_file_location("checkov_run", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
files = [Path(name) for name in sys.argv[2:]]
before = [k8_json.load(path) for path in files]
original = k8_json.SafeLineLoader.__name__
runner.speed_up()
after = [k8_json.load(path) for path in files]
print(json.dumps({
    "loaders": [original, k8_json.SafeLineLoader.__name__],
    "same": before == after,
    "items": sum(len(template[0]["items"]) for template, _ in after),
}))
"""


def _documents(repo_root: Path) -> list[Document]:
    """Every checkov fixture and example, plus a ConfigMap holding a dashboard-like JSON string."""
    folder = repo_root / "policies" / "checkov"
    documents: list[Document] = []
    for path in sorted([*folder.glob("fixtures/*/*.yaml"), *folder.glob("examples/*.yaml")]):
        target = Target(path.parent.name, path.stem, path.parent, "files")
        for body in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(body, dict):
                documents.append(Document(target, path, body))
    panel = {"title": 'Errors "5xx" / {{route}}', "expr": 'sum(rate(x{a="b"}[5m]))', "unicode": "latency ≤ 300 ms"}
    dashboard = json.dumps({"panels": [panel] * 40, "nested": {"}{": "}\n{"}}, indent=2)
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "dashboard", "namespace": "orders", "labels": {"grafana_dashboard": "1"}},
        "data": {"orders.json": dashboard, "empty": "", "number-like": "0123"},
    }
    target = Target("orders", "prod", repo_root, "files")
    documents.append(Document(target, repo_root / "dashboard.yaml", configmap))
    return documents


def _checkov(
    entry: tuple[str, ...], folder: Path, repo_root: Path, *extra: str, config: Path | None = None
) -> dict[str, Any]:
    config = config or repo_root / POLICIES_CONFIG
    arguments = ["--config-file", str(config), "--directory", str(folder), "--output", "json", *extra]
    done = subprocess.run(
        tools.checkov_command(arguments, entry=entry),
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
        env=tools.checkov_environment(),
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_libyaml_parsing_gives_checkov_the_same_documents_and_lines(repo_root: Path, tmp_path: Path) -> None:
    documents = _documents(repo_root)
    placed = _write(documents, tmp_path)
    files = sorted(str(tmp_path / name) for name in placed)
    command = tools.checkov_command([], entry=("python", "-c", COMPARE, str(RUNNER), *files))
    command.remove("--skip-download")  # a checkov flag; this script is not checkov
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["loaders"] == ["SafeLineLoader", "CSafeLineLoader"]  # the speed-up did apply
    assert result["items"] == len(documents)
    assert result["same"]


def _results(report: dict[str, Any]) -> dict[str, list[str]]:
    """Every result of a report, each in full, in a stable order (checkov's own order varies run to run)."""
    return {kind: sorted(json.dumps(r, sort_keys=True) for r in found) for kind, found in report["results"].items()}


def test_checkov_run_fails_the_same_checks_as_checkov(repo_root: Path, tmp_path: Path) -> None:
    """The gate's run goes to checkov's Kubernetes runner directly (`gate_run`): every result, passed and failed,
    field for field, and the summary, as checkov's command line reports them."""
    _write(_documents(repo_root), tmp_path)
    plain = _checkov(("checkov",), tmp_path, repo_root, "--quiet")
    fast = _checkov(("python", str(RUNNER)), tmp_path, repo_root, "--quiet")

    def failed(report: dict[str, Any]) -> set[tuple[str, str, tuple[int, ...], str]]:
        return {
            (c["check_id"], c["file_path"], tuple(c["file_line_range"]), c["resource"])
            for c in report["results"]["failed_checks"]
        }

    assert len(failed(plain)) >= 10  # the fixtures' failures: the comparison is about something
    assert failed(fast) == failed(plain)
    assert _results(fast) == _results(plain)
    assert fast["summary"] == plain["summary"]

    everything = _checkov(("checkov",), tmp_path, repo_root)  # not --quiet: the passed checks too
    assert len(_results(everything)["passed_checks"]) >= 10
    assert _results(_checkov(("python", str(RUNNER)), tmp_path, repo_root)) == _results(everything)


def test_anything_but_the_gates_run_goes_to_checkovs_command_line(repo_root: Path, tmp_path: Path) -> None:
    """Arguments or a configuration `gate_run` does not read the way checkov's command line does go to the
    command line itself (after the deferred Terraform package is imported after all): the same verdicts."""
    _write(_documents(repo_root)[:12], tmp_path)
    config = yaml.safe_load((repo_root / POLICIES_CONFIG).read_text(encoding="utf-8"))
    config["skip-path"] = ["nothing-matches-this"]  # a key gate_run does not read
    other = tmp_path.parent / "other-config.yaml"
    other.write_text(yaml.safe_dump(config), encoding="utf-8")
    plain = _checkov(("checkov",), tmp_path, repo_root, "--quiet", config=other)
    assert plain["results"]["failed_checks"]
    assert _results(_checkov(("python", str(RUNNER)), tmp_path, repo_root, "--quiet", config=other)) == _results(plain)
    framework = ("--framework", "kubernetes", "--quiet")  # a flag gate_run does not take
    assert _results(_checkov(("python", str(RUNNER)), tmp_path, repo_root, *framework)) == _results(plain)


def _checkov_run() -> Any:
    spec = importlib.util.spec_from_file_location("checkov_run", RUNNER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports nothing of checkov until a function runs
    return module


def test_gate_settings_read_only_what_the_gate_asks_for(repo_root: Path, tmp_path: Path) -> None:
    runner = _checkov_run()
    config = str(repo_root / POLICIES_CONFIG)
    gate = ["--config-file", config, "--directory", "out", "--output", "json", "--quiet", "--skip-download"]
    settings = runner.gate_settings(gate)
    assert settings["directory"] == "out"
    assert settings["quiet"]
    assert settings["compact"]
    assert settings["external"] == ["policies/checkov/checks"]
    assert "CKV_K8S_8" in settings["checks"]
    assert settings["skip_checks"] is None
    assert runner.gate_settings([*gate, "--framework", "kubernetes"]) is None
    assert runner.gate_settings([*gate[:4], "--output", "sarif"]) is None
    assert runner.gate_settings(gate[2:]) is None  # no configuration file
    for change in ({"framework": ["kubernetes", "helm"]}, {"skip-path": ["x"]}, {"check": [1]}, {"output": "cli"}):
        bad = tmp_path / "config.yaml"
        bad.write_text(yaml.safe_dump({**yaml.safe_load(Path(config).read_text(encoding="utf-8")), **change}))
        assert runner.gate_settings(["--config-file", str(bad), *gate[2:]]) is None, change
    (tmp_path / "broken.yaml").write_text("check: [", encoding="utf-8")
    assert runner.gate_settings(["--config-file", str(tmp_path / "broken.yaml"), *gate[2:]]) is None


def test_a_file_checkov_cannot_read_fails_the_gate(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """checkov skips a file it cannot parse and says so only in its summary: the gate must not pass it."""
    from groundwork.check import policy

    def write_with_a_broken_file(documents: list[Document], folder: Path) -> Any:
        placed = _write(documents, folder)
        (folder / "broken.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {', "utf-8")
        return placed

    monkeypatch.setattr(policy, "_write", write_with_a_broken_file)
    documents = _documents(repo_root)[:3]
    with pytest.raises(ToolBroken, match=r"exited 2: checkov could not read 1 file\(s\): .*broken\.json"):
        policy.run_policies(documents, policy.find_policies(repo_root))


# checkov's own label-selector matching against the indexed one, on random resources with random labels and
# selectors (including empty ones, supersets, resources without metadata, and one unhashable label value).
SELECTORS = """
import importlib.util, json, random, sys
from types import SimpleNamespace as NS
from checkov.kubernetes.graph_builder.graph_components.edge_builders.LabelSelectorEdgeBuilder import (
    LabelSelectorEdgeBuilder,
)
spec = importlib.util.spec_from_file_location("checkov_run", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
original = LabelSelectorEdgeBuilder.find_connections
indexed = runner.indexed_find_connections(original)
rng = random.Random(7)
keys, values = ["app", "tier", "team", "env"], ["a", "b", "c", 1]
def labels(most):
    return {k: rng.choice(values) for k in rng.sample(keys, rng.randint(0, most))}
def vertex(n):
    if rng.random() < 0.05:
        return NS(id=f"v{n}", metadata=None)
    selector = NS(match_labels=labels(3) if rng.random() < 0.4 else None)
    return NS(id=f"v{n}", metadata=NS(labels=labels(4), selector=selector))
vertices = [vertex(n) for n in range(600)]
vertices.append(NS(id="same", metadata=NS(labels={"app": "a"}, selector=NS(match_labels={"app": "a"}))))
checked = edges = 0
for v in vertices:
    if v.metadata is None or v.metadata.labels is None:
        continue
    expected, got = original(v, vertices), indexed(v, vertices)
    assert expected == got, (v.id, expected, got)
    checked, edges = checked + 1, edges + len(got)
odd = NS(id="odd", metadata=NS(labels={"app": ["unhashable"]}, selector=NS(match_labels=None)))
assert indexed(odd, vertices) == original(odd, vertices)
runner.speed_up()
patched = LabelSelectorEdgeBuilder.find_connections is not original
print(json.dumps({"checked": checked, "edges": edges, "patched": patched}))
"""


def test_indexed_label_selectors_find_the_same_edges_as_checkov() -> None:
    command = tools.checkov_command([], entry=("python", "-c", SELECTORS, str(RUNNER)))
    command.remove("--skip-download")  # a checkov flag; this script is not checkov
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["checked"] > 500
    assert result["edges"] > 1000  # the comparison is about something
    assert result["patched"]


def test_checkov_started_ahead_judges_as_checkov_run_does(repo_root: Path) -> None:
    """The gate starts checkov before the files exist (it imports itself meanwhile) and hands it the arguments
    on stdin: the same findings as a checkov started with them; let go, it exits without judging."""
    from groundwork.check import policy

    policies = policy.find_policies(repo_root)
    documents = _documents(repo_root)
    ahead = policy.run_policies(documents, policies, started=policy.start_checkov(policies))
    plain = policy.run_policies(documents, policies)
    assert len(plain) >= 10
    assert sorted(map(str, ahead)) == sorted(map(str, plain))

    started = policy.start_checkov(policies)
    assert policy.run_policies([], policies, started=started) == []
    assert started._process.wait(timeout=600) == 0
    assert started._process.stdout is not None
    assert started._process.stdout.read() == ""
    with pytest.raises(ToolBroken, match="let go"):
        started.run(["--version"])


BYTECODE = "import sys, checkov.version; print(sys.dont_write_bytecode, sys.pycache_prefix)"


def test_checkov_keeps_its_bytecode_where_writing_it_beside_the_sources_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PYTHONDONTWRITEBYTECODE set (as in many CI images), every checkov start compiled its ~3,800 modules
    again (seconds of CPU): checkov's process writes its bytecode into groundwork's cache instead, once."""
    uv_cache = subprocess.run(["uv", "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    monkeypatch.setenv("UV_CACHE_DIR", uv_cache)  # uv's cache follows XDG_CACHE_HOME too: keep it where it is
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    command = tools.checkov_command([], entry=("python", "-c", BYTECODE))
    command.remove("--skip-download")  # a checkov flag; this script is not checkov
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=tools.checkov_environment())
    assert done.returncode == 0, done.stderr[-2000:]
    cache = tmp_path / "groundwork" / "bytecode"
    assert done.stdout.split() == ["False", str(cache)]
    assert [p.name for p in cache.rglob("version.*.pyc") if p.parent.name == "checkov"]

    mine = tmp_path / "mine"
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(mine))  # a place the user chose is kept
    assert tools.checkov_environment()["PYTHONPYCACHEPREFIX"] == str(mine)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE")
    monkeypatch.delenv("PYTHONPYCACHEPREFIX")  # bytecode beside the sources, as Python does by default
    assert "PYTHONPYCACHEPREFIX" not in tools.checkov_environment()
