"""Start-up cost of the `groundwork` CLI: lazy command imports against importing what the commands use.

`uv run python bench/cli/run.py [--runs 15]` runs, interleaved in one session on the same machine:
(a) `groundwork --version` as shipped (command modules import their libraries inside the command),
(b) `groundwork --help` as shipped,
(c) the same `--version` after importing, up front, every library the commands use (what start-up cost when
    cli.py imported them at module level: copier, ruamel.yaml, the check/readiness/provision cores).
It reports the median wall and CPU seconds and the number of modules loaded, and the ratio (c)/(a), and writes
them with the command line to bench/results/cli-<date>.md. The budget in issue 11 is under 0.3 s for (a) on an
idle machine; tests/test_cli_surface.py asserts the deterministic part (no heavy library imported).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"
EAGER = (
    "import copier, ruamel.yaml, groundwork.scaffold, groundwork.registry, groundwork.check.runner, "
    "groundwork.readiness.runner, groundwork.provision.orchestrate, groundwork.promote.plan, groundwork.dora.history"
)
VARIANTS = {
    "a: --version (lazy, as shipped)": [sys.executable, "-m", "groundwork", "--version"],
    "b: --help (lazy, as shipped)": [sys.executable, "-m", "groundwork", "--help"],
    "c: --version after eager imports": [
        sys.executable,
        "-c",
        f"{EAGER}; import sys; sys.argv = ['groundwork', '--version']; from groundwork.cli import main; main()",
    ],
}


def _once(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _modules(command: list[str]) -> int:
    result = subprocess.run([command[0], "-X", "importtime", *command[1:]], capture_output=True, text=True, check=True)
    return sum(1 for line in result.stderr.splitlines() if line.startswith("import time:"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    for command in VARIANTS.values():
        _once(command)  # warm the page cache and .pyc files
    for _ in range(args.runs):
        for name, command in VARIANTS.items():  # interleaved: load on the machine hits every variant alike
            samples[name].append(_once(command))
    rows = []
    for name, command in VARIANTS.items():
        wall = statistics.median(s[0] for s in samples[name])
        cpu = statistics.median(s[1] for s in samples[name])
        rows.append((name, wall, cpu, _modules(command)))
    base = rows[0]
    load = os.getloadavg()[0]
    lines = [
        f"# groundwork CLI start-up, {dt.date.today().isoformat()}",
        "",
        f"Command: `uv run python bench/cli/run.py --runs {args.runs}`; load average at the end {load:.1f} "
        f"on {os.cpu_count()} cores (a shared machine: CPU seconds are the steadier figure).",
        "",
        "| variant | median wall s | median CPU s | modules | CPU vs (a) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, wall, cpu, modules in rows:
        lines.append(f"| {name} | {wall:.3f} | {cpu:.3f} | {modules} | {cpu / base[2]:.2f}x |")
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"cli-{dt.date.today().isoformat()}.md"
    out.write_text(text)
    print(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
