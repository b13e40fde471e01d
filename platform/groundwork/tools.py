"""External command-line judges that groundwork runs in their own isolated environments, pinned here.

checkov cannot share an environment with the project's own dependencies (it conflicts with pulumi), so it
runs through `uvx` from an exact version: the first run downloads it from PyPI into uv's cache, later runs
use the cache with `uvx --offline`. checkov's own network features stay off: `--skip-download` (no Prisma
Cloud policy download), `BC_SKIP_MAPPING` (no guideline mapping download) and `CKV_SKIP_PACKAGE_UPDATE_CHECK`
(no version check).

Its bytecode is cached: uv installs checkov without compiling it, and where `PYTHONDONTWRITEBYTECODE` is set
(CI images often set it) every start would compile its ~3,800 modules again, about 4 CPU-seconds of a run that
otherwise takes 2-3. checkov's process then writes bytecode into groundwork's cache instead of beside uv's files
(`PYTHONPYCACHEPREFIX`), and nowhere else.
"""

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from groundwork.errors import ToolBroken, ToolMissing, last_line
from groundwork.paths import user_cache

CHECKOV_VERSION = "3.3.30"

CHECKOV_OFFLINE_ENV: Mapping[str, str] = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
}


def checkov_environment() -> dict[str, str]:
    """The environment checkov runs in: this process's, offline (`CHECKOV_OFFLINE_ENV`), and with its bytecode
    cached (see the module docstring): where writing bytecode beside the sources is forbidden, it is written
    under `$XDG_CACHE_HOME/groundwork/bytecode` (unless `PYTHONPYCACHEPREFIX` names another place)."""
    environment = {**os.environ, **CHECKOV_OFFLINE_ENV}
    if environment.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        environment.setdefault("PYTHONPYCACHEPREFIX", str(user_cache() / "bytecode"))
    return environment


@dataclass(frozen=True)
class CheckResult:
    """One check checkov ran on one resource."""

    check_id: str
    name: str
    file: str
    resource: str
    lines: tuple[int, int]

    def __str__(self) -> str:
        return f"{self.check_id} {self.file}:{self.lines[0]}-{self.lines[1]} {self.resource}: {self.name}"


@dataclass(frozen=True)
class CheckovReport:
    """What checkov decided: every check that passed, failed or was skipped, across the frameworks asked for."""

    passed: tuple[CheckResult, ...]
    failed: tuple[CheckResult, ...]
    skipped: tuple[CheckResult, ...]
    parsing_errors: int = 0  # files checkov could not read (so did not judge), from its summaries

    @property
    def ok(self) -> bool:
        return not self.failed


def checkov_command(
    arguments: Sequence[str], uvx: str = "uvx", offline: bool | None = None, *, entry: Sequence[str] = ("checkov",)
) -> list[str]:
    """The command line that runs the pinned checkov with `arguments` after it.

    `offline` keeps uv itself off the network too; None (the default) decides by asking uv whether the pinned
    version is already in its cache, so the first run on a fresh machine downloads it and later runs do not.
    `entry` is what runs in checkov's environment: its console script, or e.g. `python <script>` for a script
    that takes checkov's arguments.
    """
    if offline is None:
        offline = checkov_is_cached(uvx)
    uv_flags = ["--quiet", "--offline"] if offline else ["--quiet"]
    return [uvx, *uv_flags, "--from", f"checkov=={CHECKOV_VERSION}", *entry, "--skip-download", *arguments]


def checkov_is_cached(uvx: str = "uvx") -> bool:
    """Whether uv can build the pinned checkov environment from its cache alone (a fraction of a second)."""
    probe = [uvx, "--quiet", "--offline", "--from", f"checkov=={CHECKOV_VERSION}", "python", "-c", ""]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def run_checkov(
    arguments: Sequence[str],
    *,
    cwd: Path | None = None,
    entry: Sequence[str] = ("checkov",),
    timeout_seconds: float = 600,
) -> CheckovReport:
    """The one way groundwork runs checkov: the pinned version, offline, `arguments` after `entry` (checkov's
    console script, or e.g. `python checkov_run.py`), from `cwd`. Returns its verdict; raises ToolMissing
    without uvx and ToolBroken when checkov crashed, timed out or printed no report instead of judging."""
    uvx = _uvx()
    try:
        result = subprocess.run(
            checkov_command(arguments, uvx, entry=entry),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            env=checkov_environment(),
            timeout=timeout_seconds,
        )
    except subprocess.TimeoutExpired:
        raise _timed_out(timeout_seconds) from None
    return _verdict(result.returncode, result.stdout, result.stderr)


class StartedCheckov:
    """checkov started before its input exists: `entry` (a script taking `--arguments-on-stdin`, such as the
    gate's checkov_run.py) imports checkov (seconds of CPU) while the caller renders what it will judge, then
    `run` hands it the arguments on stdin and reads its verdict as `run_checkov` does. `cancel` lets it go
    without judging anything."""

    def __init__(self, entry: Sequence[str], cwd: Path | None = None) -> None:
        self._process = subprocess.Popen(
            checkov_command([], _uvx(), entry=entry),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=checkov_environment(),
        )
        self._claimed = threading.Lock()  # held by whichever of run and cancel comes first

    def run(self, arguments: Sequence[str], timeout_seconds: float = 600) -> CheckovReport:
        if not self._claimed.acquire(blocking=False):
            raise ToolBroken(f"checkov {CHECKOV_VERSION} was let go before it was given its files")
        try:
            stdout, stderr = self._process.communicate(json.dumps(list(arguments)) + "\n", timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            raise _timed_out(timeout_seconds) from None
        return _verdict(self._process.returncode, stdout, stderr)

    def cancel(self) -> None:
        """Nothing to judge: its stdin ends, so it exits once imported (reaped in the background)."""
        if self._claimed.acquire(blocking=False):
            if self._process.stdin is not None:
                self._process.stdin.close()
            threading.Thread(target=self._process.wait, name="checkov-let-go", daemon=True).start()


def _uvx() -> str:
    uvx = shutil.which("uvx")
    if uvx is None:
        raise ToolMissing("uvx is not installed, so checkov cannot run", "install uv (https://docs.astral.sh/uv/)")
    return uvx


def _timed_out(timeout_seconds: float) -> ToolBroken:
    return ToolBroken(
        f"checkov {CHECKOV_VERSION} did not finish within {timeout_seconds:.0f} s",
        "run it by hand to see where it hangs",
    )


def _verdict(returncode: int, stdout: str, stderr: str) -> CheckovReport:
    # checkov exits 1 when a check failed; anything else non-zero (or no JSON) means it did not judge.
    if returncode not in (0, 1):
        raise ToolBroken(f"checkov {CHECKOV_VERSION} exited {returncode}: {last_line(stderr)}")
    return parse_checkov_json(stdout)


def scan_directory(
    directory: Path,
    frameworks: Sequence[str],
    config_file: Path | None = None,
    external_checks_dirs: Sequence[Path] = (),
) -> CheckovReport:
    """checkov over every file of `directory` for `frameworks` (e.g. a generated service's Dockerfile and
    workflows). `config_file` is a checkov configuration (e.g. the `skip-check` list with its justifications);
    `external_checks_dirs` hold custom policies (Python checks need an `__init__.py` in their folder)."""
    arguments = ["--directory", str(directory), "--output", "json", "--framework", *frameworks]
    if config_file is not None:
        arguments += ["--config-file", str(config_file)]
    for checks_dir in external_checks_dirs:
        arguments += ["--external-checks-dir", str(checks_dir)]
    return run_checkov(arguments)


def parse_checkov_json(output: str) -> CheckovReport:
    """Read checkov's `--output json`: one report object, a list of them (several frameworks), or a summary
    object with no `results` when nothing was scanned."""
    try:
        document = json.loads(output)
    except json.JSONDecodeError:
        raise ToolBroken(f"checkov printed no JSON report: {last_line(output)}") from None
    reports = document if isinstance(document, list) else [document]
    passed: list[CheckResult] = []
    failed: list[CheckResult] = []
    skipped: list[CheckResult] = []
    parsing_errors = 0
    for report in reports:
        if not isinstance(report, dict):
            continue
        results = report.get("results", {})
        passed += [_check(item) for item in results.get("passed_checks", [])]
        failed += [_check(item) for item in results.get("failed_checks", [])]
        skipped += [_check(item) for item in results.get("skipped_checks", [])]
        parsing_errors += int(report.get("summary", {}).get("parsing_errors") or 0)
    return CheckovReport(tuple(passed), tuple(failed), tuple(skipped), parsing_errors)


def _check(item: Mapping[str, object]) -> CheckResult:
    line_range = item.get("file_line_range") or [0, 0]
    first, last = (int(n) for n in line_range) if isinstance(line_range, list) else (0, 0)
    return CheckResult(
        check_id=str(item.get("check_id", "")),
        name=str(item.get("check_name", "")),
        file=str(item.get("file_path", "")),
        resource=str(item.get("resource", "")),
        lines=(first, last),
    )
