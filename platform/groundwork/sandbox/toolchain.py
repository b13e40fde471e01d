"""The sandbox's engines, built once from their Go modules at the versions gitops/versions.yaml pins.

`tools:` in gitops/versions.yaml pins each tool's module and exact version; `recipes.RECIPES` says how each is
built. A build happens in a wrapper module under `~/.cache/groundwork/build/<tool>-<version>/` and its
binaries land in `~/.cache/groundwork/bin/<tool>-<version>/`, outside the clone, so every clone on the
machine (and CI on the same machine) reuses them. Nothing is downloaded except through `go` from the Go
module proxy. `GROUNDWORK_CACHE` moves the cache.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import yaml

from groundwork.errors import GroundworkError, ToolBroken, ToolMissing
from groundwork.gitops.versions import versions_file
from groundwork.sandbox.gomod import parse_gomod, staging_version, wrapper_replaces
from groundwork.sandbox.recipes import RECIPES

TOOLS_KEY = "tools"
GO_VERSION_LINE = "go 1.26.0"
BUILD_LOG = "sandbox-build.log"  # `groundwork sandbox build --background` writes here, in the cache
LOCK_POLL_SECONDS = 5.0
MAINS = Path(__file__).parent / "mains"  # main packages of groundwork's own (recipes.Recipe.main)


@dataclass(frozen=True)
class ToolPin:
    """`tools.<name>` of gitops/versions.yaml: a Go module at one exact version."""

    name: str
    module: str
    version: str


def cache_root() -> Path:
    return Path(os.environ.get("GROUNDWORK_CACHE") or Path.home() / ".cache" / "groundwork")


def load_tool_pins(repository: Path) -> dict[str, ToolPin]:
    """Every `tools:` pin of the checkout's versions file, by name."""
    path = versions_file(repository)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise GroundworkError(f"{path} cannot be read ({type(error).__name__})", "restore it from git") from None
    tools = document.get(TOOLS_KEY) if isinstance(document, dict) else None
    if not isinstance(tools, dict):
        raise GroundworkError(f"{path} has no '{TOOLS_KEY}:' mapping", "restore it from git")
    pins: dict[str, ToolPin] = {}
    for name, entry in tools.items():
        if not isinstance(entry, dict) or set(entry) != {"module", "version"}:
            raise GroundworkError(f"{path}: {TOOLS_KEY}.{name} needs exactly 'module' and 'version'", "fix the entry")
        version = str(entry["version"])
        if not version.startswith("v"):
            raise GroundworkError(
                f"{path}: {TOOLS_KEY}.{name}.version '{version}' is not a Go module version", "use vX.Y.Z"
            )
        pins[str(name)] = ToolPin(name=str(name), module=str(entry["module"]), version=version)
    return pins


@dataclass(frozen=True)
class Toolchain:
    """Where the pinned tools live on this machine, and how to build a missing one."""

    pins: Mapping[str, ToolPin]
    root: Path

    @classmethod
    def for_repository(cls, repository: Path) -> "Toolchain":
        return cls(load_tool_pins(repository), cache_root())

    def pin(self, name: str) -> ToolPin:
        if name not in self.pins:
            raise GroundworkError(f"gitops/versions.yaml pins no tool '{name}'", f"add {TOOLS_KEY}.{name}")
        return self.pins[name]

    def bin_dir(self, name: str) -> Path:
        pin = self.pin(name)
        return self.root / "bin" / f"{name}-{pin.version}"

    def binary(self, name: str, binary: str | None = None) -> Path:
        return self.bin_dir(name) / (binary or RECIPES[name].binaries[0])

    def built(self, name: str) -> bool:
        return all((self.bin_dir(name) / binary).is_file() for binary in RECIPES[name].binaries)

    def missing(self) -> list[str]:
        return [name for name in RECIPES if not self.built(name)]

    def build_command(self) -> str:
        return "uv run groundwork sandbox build"

    def source_dir(self, name: str) -> Path:
        """The module's files in Go's module cache (downloaded through the Go module proxy if absent)."""
        pin = self.pin(name)
        info = _go_json(["go", "mod", "download", "-json", f"{pin.module}@{pin.version}"], self.root)
        if info.get("Error") or not info.get("Dir"):
            raise ToolBroken(
                f"go could not download {pin.module}@{pin.version}: {info.get('Error', 'no Dir')}",
                "check the Go module proxy is reachable (GOPROXY) and the version exists",
            )
        return Path(str(info["Dir"]))

    def build(self, name: str, echo: Callable[[str], None] = print, wait_seconds: float | None = None) -> Path:
        """Build `name` unless its binaries are cached; return the folder holding them. One build of a tool at a
        time per machine: a second caller (a background build started by scripts/install-tools, a test, `up`)
        waits for the first (at most `wait_seconds`, if given) and then finds it built."""
        if self.built(name):
            return self.bin_dir(name)
        if shutil.which("go") is None:
            raise ToolMissing("go is not installed", "install Go 1.26 or later (apt-get install golang-go, or go.dev)")
        locks = self.root / "build"
        locks.mkdir(parents=True, exist_ok=True)
        with (locks / f".{name}.lock").open("w") as lock:
            if not _try_lock(lock):
                echo(f"waiting for another build of {name} on this machine to finish")
                _wait_for_lock(lock, name, wait_seconds, self.root / BUILD_LOG)
            if self.built(name):
                return self.bin_dir(name)
            return self._build(name, echo)

    def _build(self, name: str, echo: Callable[[str], None]) -> Path:
        pin = self.pin(name)
        recipe = RECIPES[name]
        work = self.root / "build" / f"{name}-{pin.version}"
        work.mkdir(parents=True, exist_ok=True)
        echo(f"building {name} {pin.version} from {pin.module} (once; cached in {self.bin_dir(name)})")
        upstream = self._upstream_gomod(pin, work)
        env = {**os.environ, **recipe.env, "GOFLAGS": "-mod=mod"}
        ldflags = f"-s -w {recipe.ldflags(pin.version)}".strip()
        out = work / "bin"
        out.mkdir(exist_ok=True)
        if recipe.generate is not None:
            # The module's main package embeds generated files: build inside a writable copy of the module.
            source = self._writable_copy(pin, work)
            _prepare_generated(source, recipe.generate, pin.version, upstream)
            packages = [f"./{package}" for package in recipe.packages]
            _run(["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(out) + "/", *packages], source, env)
        else:
            staging = staging_version(pin.version) if recipe.kubernetes_staging else None
            _write_wrapper(work, name, wrapper_replaces(parse_gomod(upstream), staging))
            packages = [f"{pin.module}/{package}".rstrip("/") for package in recipe.packages]
            _run(["go", "get", *[f"{package}@{pin.version}" for package in packages]], work, env)
            if recipe.main is not None:
                packages = [_write_main(work, recipe.main, recipe.binaries[0])]
            _run(["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(out) + "/", *packages], work, env)
        target = self.bin_dir(name)
        target.mkdir(parents=True, exist_ok=True)
        produced = {path.name: path for path in out.iterdir()}
        built_from = recipe.packages if recipe.main is None else (f"cmd/{recipe.binaries[0]}",)
        for package, binary in zip(built_from, recipe.binaries, strict=True):
            built_name = _binary_name(f"{pin.module}/{package}".rstrip("/"))
            source_binary = produced.get(binary) or produced.get(built_name)
            if source_binary is None:
                raise ToolBroken(f"building {name} produced no {binary} in {out}", "read the go build output above")
            # Atomically: a build interrupted here never leaves half a binary that looks built.
            partial = target / f".{binary}.partial"
            shutil.copy2(source_binary, partial)
            os.replace(partial, target / binary)
        return target

    def _upstream_gomod(self, pin: ToolPin, work: Path) -> str:
        info = _go_json(["go", "mod", "download", "-json", f"{pin.module}@{pin.version}"], work)
        if info.get("Error") or not info.get("GoMod"):
            raise ToolBroken(
                f"go could not download {pin.module}@{pin.version}: {info.get('Error', 'no go.mod')}",
                "check the Go module proxy is reachable and the version in gitops/versions.yaml exists",
            )
        return Path(str(info["GoMod"])).read_text(encoding="utf-8")

    def _writable_copy(self, pin: ToolPin, work: Path) -> Path:
        source = work / "src"
        if not source.is_dir():
            shutil.copytree(self.source_dir(pin.name), source)
            for path in source.rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
            source.chmod(0o755)
        return source


def _try_lock(lock: IO[str]) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait_for_lock(lock: IO[str], name: str, wait_seconds: float | None, log: Path) -> None:
    """Hold `lock` once the build holding it ends; ToolBroken after `wait_seconds` (None: wait as long as it
    takes)."""
    if wait_seconds is None:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + wait_seconds
    while not _try_lock(lock):
        if time.monotonic() > deadline:
            raise ToolBroken(
                f"{name} was still being built by another process after {wait_seconds / 60:.0f} min",
                f"let that build finish (its log, for a background build: {log}), then run again",
            )
        time.sleep(LOCK_POLL_SECONDS)


def _binary_name(package: str) -> str:
    """The file `go build` names a main package's binary: the last path element, skipping a /vN suffix."""
    parts = package.split("/")
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        return parts[-2]
    return parts[-1]


def _prepare_generated(source: Path, generate: tuple[str, tuple[str, ...]], version: str, upstream: str) -> None:
    """Run the module's generate step in its writable copy; its own local replaces are pinned first."""
    gomod = source / "go.mod"
    text = gomod.read_text(encoding="utf-8")
    for line in wrapper_replaces(parse_gomod(upstream)):
        old = line.split(" => ", 1)[0]
        text = "\n".join(
            f"replace {line}" if raw.strip().startswith(f"replace {old} =>") else raw for raw in text.splitlines()
        )
    gomod.write_text(text + "\n", encoding="utf-8")
    folder, command = generate
    env = {**os.environ, "VERSION": version.lstrip("v"), "GOFLAGS": "-mod=mod"}
    _run(list(command), source / folder, env)


def _write_main(work: Path, main: str, binary: str) -> str:
    """Put groundwork's own main package (sandbox/mains/<main>) into the wrapper module; return its package."""
    folder = work / "cmd" / binary
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MAINS / main, folder / "main.go")
    return f"./cmd/{binary}"


def _write_wrapper(work: Path, name: str, replaces: list[str]) -> None:
    lines = [f"module groundwork.local/build/{name}", "", GO_VERSION_LINE, ""]
    if replaces:
        lines += ["replace (", *(f"\t{line}" for line in replaces), ")", ""]
    path = work / "go.mod"
    if not path.is_file() or "require" not in path.read_text(encoding="utf-8"):
        path.write_text("\n".join(lines), encoding="utf-8")


def _go_json(command: list[str], cwd: Path) -> dict[str, object]:
    cwd.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    document: dict[str, object] = {}
    try:
        parsed = json.loads(result.stdout or "{}")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        document = parsed
    if result.returncode != 0 and not document.get("Error"):
        document["Error"] = (result.stderr.strip().splitlines() or ["failed"])[-1]
    return document


def _run(command: list[str], cwd: Path, env: Mapping[str, str]) -> None:
    result = subprocess.run(command, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        log = cwd / "build-error.log"
        log.write_text(result.stdout + result.stderr, encoding="utf-8")
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ToolBroken(f"'{' '.join(command[:3])} ...' failed in {cwd}: {last}", f"the full output is in {log}")
