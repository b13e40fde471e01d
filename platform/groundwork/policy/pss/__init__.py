"""Every control of the Pod Security Standards' baseline and restricted tables as a named native check
(`PSS_BASELINE_*`, `PSS_RESTRICTED_*`), plus the platform's own pod rules that go beyond them (`PLATFORM_*`).

The gate judges a pod against the level its namespace enforces (`pod-security.kubernetes.io/enforce`), and a
service's pods always against restricted: see `groundwork.check.guardrails`.
"""

from __future__ import annotations

from groundwork.policy.pss import baseline, restricted
from groundwork.policy.pss.control import BASELINE, RESTRICTED, Control
from groundwork.policy.pss.platform_rules import RUN_AS_USER
from groundwork.policy.violation import NativeCheck

CONTROLS: tuple[Control, ...] = (*baseline.CONTROLS, *restricted.CONTROLS)
PLATFORM_CHECKS: tuple[NativeCheck, ...] = (RUN_AS_USER,)
LEVELS = (BASELINE, RESTRICTED)


def checks_for(level: str) -> tuple[NativeCheck, ...]:
    """The controls a namespace enforcing `level` applies: restricted includes baseline; privileged none."""
    if level not in LEVELS:
        return ()
    wanted = LEVELS[: LEVELS.index(level) + 1]
    return tuple(c.check for c in CONTROLS if c.level in wanted)
