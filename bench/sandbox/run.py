"""How long the sandbox takes: a cold build of every pinned tool, a warm `up` until every Application is Synced
and Healthy, and `down`, side by side from one run on this machine.

    uv run python bench/sandbox/run.py [--cold]

`--cold` builds every tool into an empty cache (GROUNDWORK_CACHE in a temporary folder) and times it, per
tool and in all (two at a time, as `groundwork sandbox build` builds), with the Go build cache also emptied
(GOCACHE and GOMODCACHE in the same folder): what a new machine pays once. Without it the build figure is read
from the warm cache (0 s: nothing to build). The `up` and `down` figures run on a throwaway clone of this
checkout, like tests/sandbox. Writes bench/results/sandbox-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "sandbox"))

from sandbox_support import clone_checkout  # noqa: E402

from groundwork.sandbox.build import build_tools  # noqa: E402
from groundwork.sandbox.recipes import RECIPES  # noqa: E402
from groundwork.sandbox.toolchain import Toolchain, cache_root  # noqa: E402
from groundwork.sandbox.up import sandbox_down, sandbox_up  # noqa: E402


def _build_times(cold: bool) -> tuple[dict[str, float], float]:
    """Each tool's build time and the whole build's wall time, built as `groundwork sandbox build` builds them
    (two at a time; sandbox/build.py). A cached tool counts 0 s."""
    scratch = tempfile.TemporaryDirectory(prefix="groundwork-cold-") if cold else None
    if scratch is not None:
        os.environ["GROUNDWORK_CACHE"] = scratch.name
        os.environ["GOCACHE"] = str(Path(scratch.name) / "gocache")
        os.environ["GOMODCACHE"] = str(Path(scratch.name) / "gomodcache")
    lines: list[str] = []

    def echo(line: str) -> None:
        print(line)
        lines.append(line)

    start = time.monotonic()
    try:
        build_tools(Toolchain.for_repository(ROOT), echo)
        wall = time.monotonic() - start
    finally:
        if scratch is not None:
            for key in ("GROUNDWORK_CACHE", "GOCACHE", "GOMODCACHE"):
                os.environ.pop(key)
            scratch.cleanup()
    times = dict.fromkeys(RECIPES, 0.0)
    for line in lines:
        built = _BUILT.match(line)
        if built:
            times[built[1]] = float(built[2]) * 60
    return times, wall


_BUILT = re.compile(r"built (\w+) in ([\d.]+) min$")  # sandbox/build.py's line for each tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time a cold build of every tool")
    args = parser.parse_args()
    builds, build_wall = _build_times(args.cold)
    with tempfile.TemporaryDirectory(prefix="groundwork-bench-sandbox-") as scratch:
        repository = clone_checkout(Path(scratch) / "groundwork")
        lines: list[str] = []
        start = time.monotonic()
        record = sandbox_up(repository, lines.append)
        up_seconds = time.monotonic() - start
        start = time.monotonic()
        sandbox_down(repository, lines.append)
        down_seconds = time.monotonic() - start
    today = datetime.date.today().isoformat()
    rows = [
        f"| build {name} ({'cold' if args.cold else 'warm cache'}) | {seconds:.1f} s |"
        for name, seconds in builds.items()
    ]
    rows.append(f"| build, all tools (two at a time) | {build_wall:.1f} s |")
    rows += [f"| up: {step} | {seconds:.1f} s |" for step, seconds in record.seconds.items()]
    rows.append(
        f"| up, until every Application is Synced and Healthy ({len(record.applications)}) | {up_seconds:.1f} s |"
    )
    rows.append(f"| down | {down_seconds:.1f} s |")
    rows.append(f"| up / down | {up_seconds / max(down_seconds, 0.001):.1f}x |")
    text = "\n".join(
        [
            f"# sandbox, {today}",
            "",
            f"`uv run python bench/sandbox/run.py{' --cold' if args.cold else ''}` on {os.cpu_count()} cores; "
            f"cache {cache_root()}; load average at the end {os.getloadavg()[0]:.1f}.",
            "",
            "| what | wall time |",
            "| --- | ---: |",
            *rows,
            "",
        ]
    )
    out = ROOT / "bench" / "results" / f"sandbox-{today}.md"
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
