"""Item 1, rapid provisioning: both infra stacks exist and build under mocks; the last `groundwork up` took
under 30 minutes."""

from __future__ import annotations

import json
from datetime import datetime

from groundwork.errors import GroundworkError
from groundwork.infra.addons import known_addons
from groundwork.infra.settings import BOOTSTRAP_PATH, parse_settings
from groundwork.infra.stack_config import PROJECT_FILE, load_stack_values, stack_file
from groundwork.paths import INFRA_DIR
from groundwork.provision.record import read_record
from groundwork.readiness.context import Context
from groundwork.readiness.model import Check, Evidence, ItemSpec, judged, unproven
from groundwork.readiness.stack_build import PLACEHOLDER_REPO_URL
from groundwork.readiness.stacks import STACKS

SPEC = ItemSpec(
    1,
    "rapid-provisioning",
    "Rapid provisioning",
    "Is every environment created from code (kind and EKS stacks that build), in under 30 minutes?",
)
LIMIT_SECONDS = 30 * 60


def assess(context: Context) -> list[Check]:
    return [_stacks_exist(context), _stacks_build(context), _last_up(context)]


def _stacks_exist(context: Context) -> Check:
    infra = context.root / INFRA_DIR
    files = [f"{INFRA_DIR}/{PROJECT_FILE}", *(f"{INFRA_DIR}/{stack_file(infra, s).name}" for s in STACKS)]
    problems = [f"{file} is missing" for file in files if not (context.root / file).is_file()]
    if not problems:
        try:
            addons = known_addons(context.root / BOOTSTRAP_PATH)
            for stack in STACKS:
                values = load_stack_values(infra, stack)
                values["repoUrl"] = values.get("repoUrl") or PLACEHOLDER_REPO_URL
                parse_settings(values, addons)
        except GroundworkError as error:
            problems.append(str(error))
    return judged(
        "stacks-exist",
        problems,
        f"stacks {', '.join(STACKS)} are declared and their configuration is valid",
        Evidence(files=tuple(files), counts={"stacks": len(STACKS)}),
    )


def _stacks_build(context: Context) -> Check:
    builds = context.stacks()
    problems = [
        f"stack {stack} does not build under mocks: {build.error}" if build.error else f"stack {stack} is empty"
        for stack, build in builds.items()
        if build.error or build.resources == 0
    ]
    problems += [f"stack {stack} was not built" for stack in STACKS if stack not in builds]
    counts = {f"{stack}_resources": build.resources for stack, build in builds.items()}
    return judged(
        "stacks-build-under-mocks",
        problems,
        ", ".join(f"{stack}: {build.resources} resources" for stack, build in builds.items()),
        Evidence(
            files=(f"{INFRA_DIR}/__main__.py",),
            counts=counts,
            notes=("groundwork.infra.program.build run under pulumi.runtime.set_mocks, one process per stack",),
        ),
    )


def _last_up(context: Context) -> Check:
    records = sorted(context.state_dir.glob("provision-*.json"))
    if not records:
        return unproven(
            "last-up-under-30-minutes",
            "not yet proven: no provisioning record, 'groundwork up' has not run in this checkout",
            Evidence(notes=(f"looked for {context.shown(context.state_dir)}/provision-<env>.json",)),
        )
    latest: tuple[str, dict[str, object], str] | None = None
    problems: list[str] = []
    for path in records:
        shown = context.shown(path)
        try:
            record = read_record(path)
        except GroundworkError as error:
            problems.append(str(error))
            continue
        stamp = str(record.get("finished_at") or record.get("started_at") or "")
        if latest is None or _when(stamp) > _when(latest[0]):
            latest = (stamp, record, shown)
    if latest is None:
        return judged("last-up-under-30-minutes", problems, "", Evidence(files=tuple(map(context.shown, records))))
    _, record, shown = latest
    total = float(str(record.get("total_seconds") or 0))
    env = record.get("env")
    if not record.get("ready"):
        problems.append(
            f"the last groundwork up (--env {env}, {shown}) did not finish: step {record.get('failed_step')} "
            f"failed ({record.get('error')})"
        )
    if total >= LIMIT_SECONDS:
        problems.append(f"the last groundwork up (--env {env}, {shown}) took {total / 60:.1f} minutes, not under 30")
    return judged(
        "last-up-under-30-minutes",
        problems,
        f"the last groundwork up (--env {env}) took {total / 60:.1f} minutes",
        Evidence(
            files=(shown,),
            counts={"total_seconds": round(total)},
            notes=(json.dumps(record.get("seconds") or {}),),
        ),
    )


def _when(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0.0
