"""The incremental gate: `--changed-since REF` judges what a change can affect, the results cache makes a
re-run with nothing changed nearly free, and for many random single-file changes the incremental verdict is
the full verdict."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from check_support import run_cli

from groundwork.check.incremental import GateOptions, run_gate
from groundwork.check.model import Report
from groundwork.check.runner import CheckOptions, run_check

CHANGES = int(os.environ.get("GROUNDWORK_EQUIVALENCE_CHANGES", "8"))
SEED = int(os.environ.get("GROUNDWORK_EQUIVALENCE_SEED", "14"))


def _git(repo: Path, *arguments: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *arguments], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def base_repo(clean_tree: Path, repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean tree with its own policies and a component both apps use, committed in a git repository."""
    repo = tmp_path_factory.mktemp("incremental") / "repo"
    shutil.copytree(clean_tree, repo)
    shutil.copytree(repo_root / "policies", repo / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    component = repo / "gitops" / "components" / "team-label"
    component.mkdir(parents=True)
    (component / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1alpha1",
                "kind": "Component",
                "commonAnnotations": {"groundwork.dev/reviewed-by": "platform"},
            }
        ),
        encoding="utf-8",
    )
    for app in ("orders", "billing"):
        overlay = repo / "gitops" / "apps" / app / "overlays" / "dev" / "kustomization.yaml"
        content = yaml.safe_load(overlay.read_text(encoding="utf-8"))
        content["components"] = [*content.get("components", []), "../../../../components/team-label"]
        overlay.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "base")
    return repo


@pytest.fixture
def repo(base_repo: Path) -> Any:
    yield base_repo
    _git(base_repo, "checkout", "-q", "--", ".")
    _git(base_repo, "clean", "-fdq")


def _judged(report: Report) -> set[str]:
    unchanged = set(report.unchanged)
    return {t.label for t in report.targets if t not in unchanged}


def _incremental(repo: Path, results: Path | None = None) -> Report:
    return run_gate(repo, GateOptions(since="HEAD", results=results))


def _verdict(report: Report) -> tuple[bool, list[tuple[str, ...]]]:
    found = sorted((f.app, f.env, str(f.file), str(f.stage), f.rule, f.resource, f.message) for f in report.findings)
    return report.ok, found


def test_nothing_changed_judges_nothing(repo: Path) -> None:
    report = _incremental(repo)
    assert report.ok
    assert _judged(report) == set()
    assert len(report.unchanged) == len(report.targets) > 0


def test_an_overlay_change_judges_that_overlay_only(repo: Path) -> None:
    replicas = repo / "gitops" / "apps" / "billing" / "overlays" / "prod" / "kustomization.yaml"
    replicas.write_text(replicas.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    report = _incremental(repo)
    # The app folder (its SLO answers) is read by all of an app's targets; the other app is not judged.
    assert _judged(report) == {"billing/dev", "billing/staging", "billing/prod"}
    assert report.ok


def test_a_shared_component_judges_every_app_using_it(repo: Path) -> None:
    component = repo / "gitops" / "components" / "team-label" / "kustomization.yaml"
    content = yaml.safe_load(component.read_text(encoding="utf-8"))
    content["commonLabels"] = {"tier": "backend"}
    component.write_text(yaml.safe_dump(content), encoding="utf-8")
    assert {label for label in _judged(_incremental(repo)) if label.endswith("/dev")} >= {"orders/dev", "billing/dev"}


def test_a_component_only_dev_uses_judges_dev_and_the_other_overlays_files_stay_reached(repo: Path) -> None:
    # team-label is used by the dev overlays only: staging and prod are not judged, yet the files only they
    # reach (their own overlay folders) are still reached: all of an app's overlays decide, not those judged now.
    component = repo / "gitops" / "components" / "team-label" / "kustomization.yaml"
    component.write_text(component.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    report = _incremental(repo)
    assert report.everything_because == ""
    assert _judged(report) == {"orders/dev", "billing/dev"}
    assert [f.rule for f in report.findings] == []
    assert report.ok


def test_a_policy_change_judges_everything(repo: Path) -> None:
    config = repo / "policies" / "checkov" / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = _incremental(repo)
    assert _judged(report) == {t.label for t in report.targets}
    assert "policies/checkov/config.yaml" in report.everything_because


def test_an_apps_catalog_entry_judges_everything(repo: Path) -> None:
    # Its declared calls decide what other services' AuthorizationPolicies must admit (GW_CATALOG_1).
    entry = repo / "gitops" / "apps" / "billing" / "catalog-info.yaml"
    entry.write_text(entry.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = _incremental(repo)
    assert _judged(report) == {t.label for t in report.targets}


def test_a_readme_change_judges_nothing_it_cannot_affect(repo: Path) -> None:
    (repo / "gitops" / "README.md").write_text("# notes\n", encoding="utf-8")
    assert _judged(_incremental(repo)) == set()


def test_a_broken_change_fails_and_names_the_file(repo: Path) -> None:
    deployment = repo / "gitops" / "apps" / "orders" / "base" / "deployment.yaml"
    deployment.write_text(deployment.read_text(encoding="utf-8").replace("readinessProbe:", "readinesProbe:"))
    code, out, err = run_cli(["check", str(repo), "--changed-since", "HEAD", "--no-cache"])
    assert code == 1, out + err
    assert "gitops/apps/orders/base/deployment.yaml" in out
    assert "billing" not in out.split("FAILED")[0]
    assert "changed since HEAD: 3 targets judged" in out


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("no-such-branch", "git does not know the revision 'no-such-branch'"), ("--all", "is not a revision")],
)
def test_an_unknown_revision_is_one_line_and_exit_2(repo: Path, ref: str, expected: str) -> None:
    code, out, err = run_cli(["check", str(repo), f"--changed-since={ref}"])
    assert code == 2
    assert out == ""
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_outside_git_is_one_line_and_exit_2(clean_tree: Path) -> None:
    code, _, err = run_cli(["check", str(clean_tree), "--changed-since", "main"])
    assert code == 2
    assert "not in a git repository" in err
    assert len(err.strip().splitlines()) == 1


def test_a_rerun_with_nothing_changed_takes_every_verdict_from_the_cache(repo: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    first = run_gate(repo, GateOptions(results=results))
    again = run_gate(repo, GateOptions(results=results))
    assert again.cached == again.targets
    assert first.cached == []
    assert again.timings == []  # nothing rendered, no judge started
    assert _verdict(again) == _verdict(first)
    assert again.documents == first.documents
    assert not any(repo.rglob("*.tmp"))
    assert results.is_dir()

    # A change misses the cache for the targets that read it, and only for them.
    deployment = repo / "gitops" / "apps" / "orders" / "base" / "deployment.yaml"
    deployment.write_text(deployment.read_text(encoding="utf-8").replace("readinessProbe:", "readinesProbe:"))
    changed = run_gate(repo, GateOptions(results=results))
    assert {t.label for t in changed.targets if t not in changed.cached} == {
        "orders/dev",
        "orders/staging",
        "orders/prod",
    }
    assert not changed.ok
    # Cached failures come back the same, file and all.
    cached = run_gate(repo, GateOptions(results=results))
    assert _verdict(cached) == _verdict(changed)


def test_the_cache_can_be_switched_off(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUNDWORK_CHECK_CACHE", "off")
    code, out, _ = run_cli(["check", str(repo), "--json", "--changed-since", "HEAD"])
    assert code == 0
    assert json.loads(out)["summary"]["cached"] == 0


# --- the random equivalence test -----------------------------------------------------------------------------


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))] or [path]
    if isinstance(node, list):
        return [leaf for n, value in enumerate(node) for leaf in _leaves(value, (*path, n))] or [path]
    return [path]


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DELETE = object()
_VALUES: list[Any] = [_DELETE, None, "latest", -1, 0, True, "", "0.0.0.0", {"x": 1}, ["a"], "nginx:latest"]


def _mutate(repo: Path, rng: random.Random) -> str:
    """One random single-file change; returns what it did (for the failure message)."""
    files = sorted(
        p
        for p in (*repo.joinpath("gitops").rglob("*"), *repo.joinpath("policies", "checkov").glob("*.yaml"))
        if p.is_file()
    )
    path = rng.choice(files)
    shown = path.relative_to(repo)
    action = rng.choice(["edit", "edit", "edit", "rename-key", "delete", "garbage", "add"])
    if action == "delete":
        path.unlink()
        return f"deleted {shown}"
    if action == "garbage":
        path.write_text(path.read_text(encoding="utf-8") + "\nkey: [unclosed\n", encoding="utf-8")
        return f"appended broken YAML to {shown}"
    if action == "add":
        new = path.with_name(f"extra-{rng.randrange(1000)}{path.suffix or '.yaml'}")
        new.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        return f"copied {shown} to {new.relative_to(repo)}"
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, UnicodeDecodeError):
        documents = []
    candidates = [(n, leaf) for n, doc in enumerate(documents) for leaf in _leaves(doc) if leaf]
    if not candidates:
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        return f"added a newline to {shown}"
    number, leaf = rng.choice(candidates)
    if action == "rename-key" and isinstance(leaf[-1], str):
        parent = documents[number]
        for key in leaf[:-1]:
            parent = parent[key]
        parent[leaf[-1] + "x"] = parent.pop(leaf[-1])
        what = f"renamed {'.'.join(map(str, leaf))} to {leaf[-1]}x"
    else:
        value = rng.choice(_VALUES)
        _set(documents[number], leaf, value)
        what = f"set {'.'.join(map(str, leaf))} to {'<deleted>' if value is _DELETE else repr(value)}"
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return f"{what} in {shown} (document {number + 1})"


@pytest.mark.slow
@pytest.mark.timeout(3000)  # two gates per change: about 15 s each on a quiet 2-core machine
def test_incremental_verdict_equals_full_verdict_for_random_single_file_changes(base_repo: Path) -> None:
    assert run_check(base_repo, CheckOptions()).ok, "the base must pass for --changed-since to skip what is unchanged"
    rng = random.Random(SEED)
    failing = 0
    try:
        for number in range(CHANGES):
            change = _mutate(base_repo, rng)
            full = run_check(base_repo, CheckOptions())
            incremental = _incremental(base_repo)
            assert _verdict(incremental) == _verdict(full), (
                f"change {number + 1} of seed {SEED} ({change}): incremental judged {sorted(_judged(incremental))}"
            )
            failing += not full.ok
            _git(base_repo, "checkout", "-q", "--", ".")
            _git(base_repo, "clean", "-fdq")
    finally:
        _git(base_repo, "checkout", "-q", "--", ".")
        _git(base_repo, "clean", "-fdq")
    assert failing >= CHANGES // 4, f"only {failing} of {CHANGES} changes failed the gate: the test proves little"
