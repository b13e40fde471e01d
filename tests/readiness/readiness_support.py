"""Helpers for the readiness tests: copies of this repository to break one thing in, and the two expensive
inputs computed once per test process and shared (a module of its own: a conftest here would shadow the root
one). The infra stacks are really built under mocks, once, from this repository's infra/ (every copy holds
the same infra/); the fleet's service repositories are really rendered, once, and copied when a test edits
one."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from groundwork.provision.argocd_wait import AppState
from groundwork.provision.record import ProvisionRecord, record_path, write_record
from groundwork.readiness.entries import load_entries
from groundwork.readiness.model import Check, Report, Status
from groundwork.readiness.runner import ReadinessOptions, assess
from groundwork.readiness.service_repos import rendered
from groundwork.readiness.stacks import StackBuild, build_stacks
from groundwork.scaffold import render as render_template

REPO_ROOT = Path(__file__).resolve().parents[2]
COPIED = ("catalog-info.yaml", "catalog", "gitops", ".github", "infra", "docs")
SERVICES = ("gateway", "inventory", "notification", "order", "payment", "search", "user")
_SCRATCH = tempfile.TemporaryDirectory(prefix="groundwork-readiness-tests-")


START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def record(state: Path, env: str, seconds: dict[str, float], ready: bool = True, at: datetime = START) -> Path:
    """A provisioning record as `groundwork up` writes it (the real writer), for item 1 to judge."""
    run = ProvisionRecord(env, "groundwork", "dev", at, 1200.0, seconds=seconds, ready=ready)
    run.finished_at = at + timedelta(seconds=sum(seconds.values()))
    if not ready:
        run.failed_step, run.error = "argocd_wait", "Argo CD was not ready within 1200s"
    run.applications = [AppState("root", "Synced", "Healthy" if ready else "Progressing")]
    path = record_path(state, env)
    write_record(run, path)
    return path


@cache
def proven_state() -> Path:
    """A state folder holding one successful 12-minute `groundwork up --env kind`: item 1 is proven."""
    state = Path(_SCRATCH.name) / "proven-state"
    record(state, "kind", {"images": 120.0, "pulumi_up": 300.0, "load_images": 20.0, "argocd_wait": 280.0})
    return state


@cache
def fleet_stacks() -> Mapping[str, StackBuild]:
    """This repository's kind and eks stacks, built under Pulumi mocks (a real subprocess, once)."""
    return build_stacks(REPO_ROOT)


def shared_stacks(_root: Path, stacks: Sequence[str]) -> Mapping[str, StackBuild]:
    """A stack builder for copies of this repository: their infra/ is this one's, already built."""
    built = fleet_stacks()
    return {stack: built[stack] for stack in stacks}


@cache
def fleet_repos() -> Path:
    """The fleet's service repositories, rendered from gitops/apps/*/.copier-answers.yml (once)."""
    scratch = Path(_SCRATCH.name) / "render"
    repos = rendered(REPO_ROOT, load_entries(REPO_ROOT), scratch)
    return Path(next(iter(repos.paths.values()))).parent


def copy_repo(dest: Path) -> Path:
    """The parts of this repository readiness reads, copied under `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__", ".groundwork"))
        else:
            shutil.copy2(source, dest / name)
    return dest


def copy_repos(dest: Path) -> Path:
    """A copy of the rendered service repositories, to edit."""
    shutil.copytree(fleet_repos(), dest)
    return dest


def judge(root: Path, service_repos: Path | None = None, render: bool = False, state_dir: Path | None = None) -> Report:
    """Readiness of `root` with the shared stack builds; the service repositories are `service_repos`, the
    shared rendered ones, or (`render`) rendered again from `root`'s answers as the command does by default.
    The provisioning records are `state_dir`'s, by default one successful run (item 1 proven)."""
    repos = None if render else service_repos or fleet_repos()
    state = state_dir or proven_state()
    return assess(root, ReadinessOptions(service_repos=repos, stack_builder=shared_stacks, state_dir=state))


def add_service(root: Path, name: str, team: str, domain: str, scratch: Path) -> Path:
    """What `groundwork new service` and the platform team do for a new service: its GitOps entry rendered
    by the deploy template, its descriptor located by the root catalog-info.yaml, its CODEOWNERS line."""
    template = scratch / "template"
    if not template.exists():
        template.mkdir(parents=True)
        shutil.copy2(REPO_ROOT / "copier.yml", template / "copier.yml")
        shutil.copytree(REPO_ROOT / "templates" / "deploy", template / "templates" / "deploy")
    data = {"service_name": name, "owner_team": team, "domain": domain, "image_tag": "0.1.0"}
    entry = render_template(str(template), "deploy", data, root / "gitops" / "apps" / name)
    with (root / "catalog-info.yaml").open("a", encoding="utf-8") as location:
        location.write(f"    - ./gitops/apps/{name}/catalog-info.yaml\n")
    with (root / ".github" / "CODEOWNERS").open("a", encoding="utf-8") as codeowners:
        codeowners.write(f"/gitops/apps/{name}/  @acme/{team}\n")
    return entry


def statuses(report: Report) -> dict[int, Status]:
    return {item.spec.number: item.status for item in report.items}


def not_passing(report: Report) -> list[tuple[int, Check]]:
    return [(item.spec.number, check) for item in report.items for check in item.checks if check.status != Status.PASS]


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace `old` by `new` in `path` (it must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def drop_line(path: Path, pattern: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not re.search(pattern, line)]
    assert len(kept) == len(lines) - 1, f"{pattern!r} must match exactly one line of {path}"
    path.write_text("".join(kept), encoding="utf-8")
