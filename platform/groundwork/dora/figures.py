"""The four DORA figures of a time window, per service and environment and for everything together.

- deployment frequency: deployments merged in the window, and per day;
- lead time for changes: median of build time (trailer `Image-Built-At`) to merge, over the window's
  deployments that carry it;
- change failure rate: the window's deployments later reverted or rolled back (by the window's end), over
  the window's deployments;
- time to restore: median of a failed deployment's merge to the merge of its revert/rollback, over the
  window's restores.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from groundwork.dora.events import Deployment, Events, Restore
from groundwork.paths import ENVIRONMENTS

ALL = "*"


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    @property
    def days(self) -> float:
        return max((self.until - self.since).total_seconds(), 0.0) / 86400

    def holds(self, moment: datetime) -> bool:
        return self.since <= moment <= self.until


@dataclass(frozen=True)
class Figures:
    service: str
    environment: str
    deployments: int
    per_day: float | None
    lead_time: float | None  # seconds, median
    lead_time_samples: int
    failures: int
    change_failure_rate: float | None  # 0..1
    restores: int
    time_to_restore: float | None  # seconds, median


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def measure(
    service: str, environment: str, deployments: list[Deployment], restores: list[Restore], window: Window
) -> Figures:
    shipped = [d for d in deployments if window.holds(d.merged_at)]
    failed = [d for d in shipped if d.failed_by is not None and d.failed_by.merged_at <= window.until]
    restored = [r for r in restores if window.holds(r.merged_at)]
    leads = [lead for d in shipped if (lead := d.lead_time) is not None]
    return Figures(
        service=service,
        environment=environment,
        deployments=len(shipped),
        per_day=len(shipped) / window.days if window.days > 0 else None,
        lead_time=_median(leads),
        lead_time_samples=len(leads),
        failures=len(failed),
        change_failure_rate=len(failed) / len(shipped) if shipped else None,
        restores=len(restored),
        time_to_restore=_median([r.time_to_restore for r in restored]),
    )


def per_group(events: Events, window: Window) -> list[Figures]:
    """One row per (service, environment) with anything in the window, then one per environment, then all."""
    groups = sorted(
        {(d.service, d.environment) for d in events.deployments if window.holds(d.merged_at)}
        | {(r.service, r.environment) for r in events.restores if window.holds(r.merged_at)},
        key=lambda group: (group[0], _environment_order(group[1])),
    )
    rows = [
        measure(
            service,
            environment,
            [d for d in events.deployments if (d.service, d.environment) == (service, environment)],
            [r for r in events.restores if (r.service, r.environment) == (service, environment)],
            window,
        )
        for service, environment in groups
    ]
    for environment in sorted({e for _, e in groups}, key=_environment_order):
        rows.append(
            measure(
                ALL,
                environment,
                [d for d in events.deployments if d.environment == environment],
                [r for r in events.restores if r.environment == environment],
                window,
            )
        )
    rows.append(measure(ALL, ALL, events.deployments, events.restores, window))
    return rows


def _environment_order(environment: str) -> tuple[int, str]:
    order = ENVIRONMENTS
    return (order.index(environment) if environment in order else len(order), environment)
