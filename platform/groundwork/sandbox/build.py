"""Building every missing sandbox tool, two at a time, the longest first.

A tool's build is mostly single-threaded stretches: `go get` downloading modules through the proxy, then
`go build`, whose compile phase uses every core but whose link of one large binary uses one. Two builds at
once fill those stretches, so a new machine waits for the longest chain of builds, not their sum
(bench/results/sandbox-*.md has the figures). `recipes.RECIPES` is in build order: Helm first (the gate's
tests use it early in the suite), then by cold build time, longest first.
"""

import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from groundwork.errors import GroundworkError
from groundwork.sandbox.recipes import RECIPES
from groundwork.sandbox.toolchain import Toolchain

BUILD_JOBS = 2  # tool builds at once; each `go build` also compiles packages on every core


def build_tools(tools: Toolchain, echo: Callable[[str], None], jobs: int = BUILD_JOBS) -> list[str]:
    """Build every missing tool, `jobs` at a time; return the names built now. Every build runs to its end even
    when another fails, so what could be built is cached; then the first failure (in build order) is raised."""
    missing = [name for name in RECIPES if not tools.built(name)]
    if not missing:
        return []
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            echo(line)

    failures: dict[str, GroundworkError] = {}

    def one(name: str) -> None:
        start = time.monotonic()
        try:
            tools.build(name, say)
        except GroundworkError as error:
            failures[name] = error
        else:
            say(f"built {name} in {(time.monotonic() - start) / 60:.1f} min")

    start, cpu = time.monotonic(), _children_cpu_seconds()
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="build") as pool:
        list(pool.map(one, missing))
    say(
        f"{len(missing) - len(failures)} of {len(missing)} tools built in {(time.monotonic() - start) / 60:.1f} min, "
        f"{(_children_cpu_seconds() - cpu) / 60:.1f} CPU-min of go"
    )
    for name in missing:
        if name in failures:
            raise failures[name]
    return missing


def _children_cpu_seconds() -> float:
    """CPU time of this process's finished child processes (`go` and the compilers it ran), user and system."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
