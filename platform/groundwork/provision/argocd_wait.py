"""Wait, bounded, until Argo CD reports every Application Synced and Healthy.

The Applications are read as Kubernetes resources (`applications.argoproj.io`) by an `ApplicationReader`;
the wait itself is pure over the reader, a clock and a sleep, so it is tested with fakes. ApplicationSets keep
generating Applications wave after wave, so "ready" means: every expected Application exists, all of them are
Synced and Healthy, and that stays true for `settle_polls` consecutive polls with the same set of names.
"""

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

SYNCED = "Synced"
HEALTHY = "Healthy"


@dataclass(frozen=True)
class AppState:
    """One Argo CD Application as its status reports it."""

    name: str
    sync: str
    health: str
    message: str = ""

    @property
    def ready(self) -> bool:
        return self.sync == SYNCED and self.health == HEALTHY

    def describe(self) -> str:
        detail = f": {self.message}" if self.message else ""
        return f"{self.name} ({self.sync}/{self.health}{detail})"


class ReaderUnavailable(Exception):
    """The Applications cannot be read yet (API server not answering, Argo CD CRDs not installed)."""


class ApplicationReader(Protocol):
    def applications(self) -> Sequence[AppState]:
        """Every Application in Argo CD's namespace; raises ReaderUnavailable when they cannot be read."""
        ...


@dataclass(frozen=True)
class WaitResult:
    """How the wait ended: `ready`, the last states read, how long it took and, if not ready, why."""

    ready: bool
    applications: tuple[AppState, ...]
    waited_seconds: float
    reason: str = ""


def wait_for_applications(
    reader: ApplicationReader,
    timeout_seconds: float,
    poll_seconds: float = 10.0,
    expected: Collection[str] = (),
    settle_polls: int = 2,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] = lambda _: None,
) -> WaitResult:
    """Poll `reader` until ready (see module doc) or `timeout_seconds` have passed."""
    start = clock()
    states: tuple[AppState, ...] = ()
    reason = "no Application read yet"
    stable = 0
    last_names: frozenset[str] = frozenset()
    last_report = ""
    while True:
        try:
            states = tuple(sorted(reader.applications(), key=lambda app: app.name))
            reason = _pending_reason(states, expected)
        except ReaderUnavailable as error:
            states, reason = (), f"Applications not readable yet ({error})"
        names = frozenset(app.name for app in states)
        stable = stable + 1 if not reason and names == last_names else (1 if not reason else 0)
        last_names = names
        report = _summary(states, reason)
        if report != last_report:
            progress(report)
            last_report = report
        waited = clock() - start
        if stable >= settle_polls:
            return WaitResult(True, states, waited)
        if waited + poll_seconds > timeout_seconds:
            return WaitResult(False, states, waited, reason or "not stable yet")
        sleep(poll_seconds)


def _pending_reason(states: Sequence[AppState], expected: Collection[str]) -> str:
    """Why `states` is not ready yet, or "" when it is."""
    if not states:
        return "no Application exists yet"
    missing = sorted(set(expected) - {app.name for app in states})
    if missing:
        return f"not generated yet: {', '.join(missing)}"
    waiting = [app.describe() for app in states if not app.ready]
    if waiting:
        return f"waiting for {', '.join(waiting)}"
    return ""


def _summary(states: Sequence[AppState], reason: str) -> str:
    ready = sum(1 for app in states if app.ready)
    head = f"argocd: {ready}/{len(states)} Applications Synced and Healthy"
    return f"{head}; {reason}" if reason else head
