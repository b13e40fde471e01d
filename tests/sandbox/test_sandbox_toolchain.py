"""The sandbox toolchain's pure parts: reading upstream go.mod files into a wrapper module's replaces, the pins,
and the add-ons the sandbox names as not run."""

from __future__ import annotations

import fcntl
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sandbox_support import REPO_ROOT

from groundwork.errors import GroundworkError, ToolBroken
from groundwork.sandbox import toolchain
from groundwork.sandbox.build import build_tools
from groundwork.sandbox.gomod import parse_gomod, staging_version, wrapper_replaces
from groundwork.sandbox.recipes import RECIPES
from groundwork.sandbox.toolchain import Toolchain, load_tool_pins
from groundwork.sandbox.up import dev_applications, preview_summary, skipped_addons

# Shapes taken from the upstream modules' go.mod files (Kubernetes, Argo CD, Pulumi, etcd), shortened.
KUBERNETES = """module k8s.io/kubernetes

go 1.26.0

require (
	github.com/spf13/cobra v1.10.0
	k8s.io/api v0.0.0
	k8s.io/utils v0.0.0-20250820121507-0af2bda4dd1d // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/apiserver => ./staging/src/k8s.io/apiserver
)
"""
ARGOCD = """module github.com/argoproj/argo-cd/v3

require (
	github.com/argoproj/gitops-engine v0.7.1-0.20250908182407-97ad5b59a627
	k8s.io/api v0.34.0
)

replace (
	// Avoid CVE-2022-3064
	gopkg.in/yaml.v2 => gopkg.in/yaml.v2 v2.4.0
	k8s.io/api => k8s.io/api v0.34.0
)

replace github.com/argoproj/gitops-engine => ./gitops-engine
"""
ETCD = """module go.etcd.io/etcd/server/v3

require go.etcd.io/etcd/api/v3 v3.6.16

replace (
	go.etcd.io/etcd/api/v3 => ../api
)

replace go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY
"""


def test_kubernetes_staging_modules_are_pointed_at_their_published_release() -> None:
    lines = wrapper_replaces(parse_gomod(KUBERNETES), staging_version("v1.36.3"))
    assert lines == ["k8s.io/api => k8s.io/api v0.36.3", "k8s.io/apiserver => k8s.io/apiserver v0.36.3"]


def test_version_replaces_are_copied_and_local_ones_take_the_required_pseudo_version() -> None:
    lines = wrapper_replaces(parse_gomod(ARGOCD))
    assert lines == [
        "gopkg.in/yaml.v2 => gopkg.in/yaml.v2 v2.4.0",
        "k8s.io/api => k8s.io/api v0.34.0",
        "github.com/argoproj/gitops-engine => github.com/argoproj/gitops-engine v0.7.1-0.20250908182407-97ad5b59a627",
    ]


def test_forbidden_placeholders_are_dropped_and_sibling_modules_use_the_required_version() -> None:
    assert wrapper_replaces(parse_gomod(ETCD)) == ["go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v3.6.16"]


@pytest.mark.parametrize("version", ["1.36.3", "v2.0.0", "v1.36", "latest"])
def test_a_non_release_is_not_given_a_staging_version(version: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes release"):
        staging_version(version)


def test_every_recipe_has_one_exact_pin_in_the_one_versions_file() -> None:
    pins = load_tool_pins(REPO_ROOT)
    assert set(RECIPES) <= set(pins)
    for name, pin in pins.items():
        assert pin.version.startswith("v"), name
        assert "*" not in pin.version, name
    # No other file of the project spells these versions: the pins live in gitops/versions.yaml only.
    spelled = [
        path
        for path in (REPO_ROOT / "platform").rglob("*.py")
        for pin in pins.values()
        if pin.version in path.read_text(encoding="utf-8")
    ]
    assert spelled == []


def test_a_malformed_tools_entry_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "gitops").mkdir()
    (tmp_path / "gitops" / "versions.yaml").write_text(
        yaml.safe_dump({"charts": {}, "tools": {"etcd": {"module": "x"}}})
    )
    with pytest.raises(GroundworkError, match=r"tools.etcd needs exactly 'module' and 'version'"):
        load_tool_pins(tmp_path)
    (tmp_path / "gitops" / "versions.yaml").write_text(yaml.safe_dump({"charts": {}, "tols": {}}))
    with pytest.raises(GroundworkError, match=r"has no 'tools:' mapping"):
        load_tool_pins(tmp_path)


def test_every_addon_the_sandbox_does_not_run_is_named_with_what_it_needs() -> None:
    reasons = skipped_addons(REPO_ROOT, [])
    assert "chart istiod" in reasons["istio"]
    assert "chart base" in reasons["istio"]
    assert "pull-request" in reasons["previews"]
    assert reasons["argocd"].startswith("runs as host processes")
    assert "istio" not in skipped_addons(REPO_ROOT, ["istio"])


def test_the_sandbox_waits_for_one_dev_application_per_app() -> None:
    apps = sorted(p.name for p in (REPO_ROOT / "gitops" / "apps").iterdir() if (p / "overlays" / "dev").is_dir())
    assert dev_applications(REPO_ROOT) == [f"{app}-dev" for app in apps]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"same": 21, "update": 1}, "1 to update, 21 unchanged"),
        ({"create": 3, "delete": 0, "same": 0}, "3 to create"),
        ({}, "no resources"),
    ],
)
def test_a_preview_is_said_in_words_changes_first(changes: dict[str, int], words: str) -> None:
    assert preview_summary(changes) == words


def test_waiting_for_another_processes_build_is_bounded_and_names_the_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test (or `up`) finding a background build of the same tool holding its lock waits for it, but not past
    its limit: then one line naming the tool and the build's log, and nothing built here."""
    if shutil.which("go") is None:
        pytest.skip("go is not installed")
    monkeypatch.setattr(toolchain, "LOCK_POLL_SECONDS", 0.01)
    tools = Toolchain(load_tool_pins(REPO_ROOT), tmp_path)
    (tmp_path / "build").mkdir()
    with (tmp_path / "build" / ".kwok.lock").open("w") as held:  # another open file: flock says busy
        fcntl.flock(held, fcntl.LOCK_EX)
        waited: list[str] = []
        with pytest.raises(ToolBroken) as raised:
            tools.build("kwok", waited.append, wait_seconds=0.2)
    assert waited == ["waiting for another build of kwok on this machine to finish"]
    assert str(raised.value).startswith("kwok was still being built by another process after 0 min")
    assert str(tmp_path / toolchain.BUILD_LOG) in raised.value.fix
    assert not tools.built("kwok")
    assert not (tmp_path / "build" / f"kwok-{tools.pin('kwok').version}").exists()


def _stand_in_toolchain(root: Path, events: list[str], meet: threading.Barrier, broken: set[str]) -> Toolchain:
    """A toolchain whose builds are stand-ins: each records its name in `events`, Helm's and Kubernetes' wait for
    each other at `meet`, and the names in `broken` fail."""

    class StandIn(Toolchain):
        def build(self, name: str, echo: Callable[[str], None] = print, wait_seconds: float | None = None) -> Path:
            events.append(name)
            if name in ("helm", "kubernetes"):
                meet.wait(timeout=30)
            if name in broken:
                raise ToolBroken(f"building {name} failed", "read its log")
            self.bin_dir(name).mkdir(parents=True, exist_ok=True)
            for binary in RECIPES[name].binaries:
                (self.bin_dir(name) / binary).write_text("", encoding="utf-8")
            return self.bin_dir(name)

    return StandIn(load_tool_pins(REPO_ROOT), root)


def test_two_tools_build_at_once_and_one_failure_leaves_the_others_built(tmp_path: Path) -> None:
    """The first two builds (Helm, Kubernetes) run at the same time: each waits for the other at a barrier, which
    two serial builds would never pass. A broken build does not stop the rest; its error is raised after them."""
    events: list[str] = []
    tools = _stand_in_toolchain(tmp_path, events, threading.Barrier(2), broken={"argocd"})
    lines: list[str] = []
    with pytest.raises(ToolBroken, match="building argocd failed"):
        build_tools(tools, lines.append, jobs=2)
    assert sorted(events) == sorted(RECIPES)
    assert tools.missing() == ["argocd"]
    assert any(line.startswith("built kubernetes in ") for line in lines)
    assert not any(line.startswith("built argocd") for line in lines)
    assert lines[-1].startswith(f"{len(RECIPES) - 1} of {len(RECIPES)} tools built in ")


def test_nothing_is_built_when_every_tool_is_cached(tmp_path: Path) -> None:
    events: list[str] = []
    tools = _stand_in_toolchain(tmp_path, events, threading.Barrier(2), broken=set())
    assert build_tools(tools, lambda line: None) == list(RECIPES)
    assert build_tools(tools, lambda line: None) == []
    assert len(events) == len(RECIPES)


def test_a_main_of_our_own_links_exactly_the_packages_its_recipe_fetches() -> None:
    """A recipe with a main of groundwork's own (Argo CD's three components) `go get`s its `packages`; the main
    must import each of them and no other command of the module."""
    pins = load_tool_pins(REPO_ROOT)
    with_main = {name: recipe for name, recipe in RECIPES.items() if recipe.main is not None}
    assert with_main, "no recipe builds a main of its own"
    for name, recipe in with_main.items():
        assert recipe.main is not None
        assert len(recipe.binaries) == 1
        source = (toolchain.MAINS / recipe.main).read_text(encoding="utf-8")
        module = pins[name].module
        commands = {line.split('"')[1] for line in source.splitlines() if f'"{module}/cmd/' in line}
        assert commands == {f"{module}/{package}" for package in recipe.packages}
