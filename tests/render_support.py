"""Rendering helpers shared by the root tests (a module of its own: conftest modules are not importable)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def service_answers(**overrides: object) -> dict[str, object]:
    """A valid answer set for the service template; tests override what they exercise."""
    answers: dict[str, object] = {
        "template": "service",
        "service_name": "orders",
        "owner_team": "team-orders",
        "domain": "commerce",
        "downstreams": [],
    }
    answers.update(overrides)
    return answers


def render_answers(src: str | Path, dest: Path, answers: Mapping[str, object], vcs_ref: str | None = "HEAD") -> Path:
    """Render with Copier's Python API exactly as a user's `copier copy --defaults --data ...` would."""
    import copier

    copier.run_copy(str(src), dest, data=dict(answers), defaults=True, quiet=True, unsafe=False, vcs_ref=vcs_ref)
    return dest
