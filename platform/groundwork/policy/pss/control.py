"""One Pod Security Standards control as a native check: a function over one pod, applied to every pod."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from groundwork.policy.pss.pods import Pod, pods
from groundwork.policy.violation import Document, FieldPath, NativeCheck, Problem

BASELINE = "baseline"
RESTRICTED = "restricted"


@dataclass(frozen=True)
class Breach:
    """What one pod does wrong against one control: the field's path and a message naming field and fix."""

    path: FieldPath
    message: str


PodJudge = Callable[[Pod], list[Breach]]


@dataclass(frozen=True)
class Control:
    """A row of the PSS tables: `level` baseline or restricted, `name` as the Kubernetes docs title it."""

    level: str
    name: str
    check: NativeCheck


def control(level: str, key: str, name: str, judge_pod: PodJudge) -> Control:
    """PSS_<LEVEL>_<KEY> (e.g. PSS_RESTRICTED_CAPABILITIES), its fixtures under Pss<Level><Key>/ (CamelCase);
    `name` is the control's title in the Kubernetes docs' table."""
    check_id = f"PSS_{level.upper()}_{key}"
    title = "Pss" + level.capitalize() + "".join(w.capitalize() for w in key.split("_"))

    def judge(documents: Sequence[Document]) -> list[Problem]:
        return [(pod.ref, breach.message, breach.path) for pod in pods(documents) for breach in judge_pod(pod)]

    return Control(level, name, NativeCheck(check_id, title, f"Pod Security Standards ({level}): {name}", judge))
