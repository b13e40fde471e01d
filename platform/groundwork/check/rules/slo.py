"""A service's SLO answers (its `.copier-answers.yml` in gitops/apps/<app>/), which the generated unit tests
hold the alerts to: a series that stays within the SLO must not alert."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from groundwork.parsed import load_yaml
from groundwork.paths import ANSWERS_FILE


@dataclass(frozen=True)
class Slo:
    """Error budgets as fractions (0.001 for 99.9%); None when the service declared no such SLO."""

    availability_budget: float | None = None
    latency_budget: float | None = None
    latency_threshold_seconds: float | None = None


def read_slo(app_dir: Path) -> Slo:
    """The SLO answers of the service rendered into `app_dir`; an empty Slo when there are none."""
    try:
        answers = load_yaml((app_dir / ANSWERS_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return Slo()
    if not isinstance(answers, dict):
        return Slo()
    threshold_ms = _number(answers.get("slo_latency_threshold_ms"))
    return Slo(
        availability_budget=_budget(answers.get("slo_availability_target")),
        latency_budget=_budget(answers.get("slo_latency_target")),
        latency_threshold_seconds=threshold_ms / 1000 if threshold_ms is not None else None,
    )


def _budget(target: object) -> float | None:
    percent = _number(target)
    return (100 - percent) / 100 if percent is not None and 0 < percent < 100 else None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
