"""The committed stacks as settings, and the repository inputs, for the program tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from groundwork.infra.program import RepositoryInputs, load_repository_inputs
from groundwork.infra.settings import Settings, parse_settings
from groundwork.infra.stack_config import load_stack_values

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
REPO_URL = "https://github.com/acme/platform.git"


@cache
def repository_inputs() -> RepositoryInputs:
    """What the program reads from this repository's gitops/ tree."""
    return load_repository_inputs(REPO_ROOT)


def stack_values(stack: str, **overrides: object) -> dict[str, object]:
    """The committed stack's merged config (repoUrl set, as `groundwork up` does), with `overrides`."""
    values = load_stack_values(INFRA_DIR, stack)
    values["repoUrl"] = REPO_URL
    values.update(overrides)
    return values


def stack_settings(stack: str, **overrides: object) -> Settings:
    return parse_settings(stack_values(stack, **overrides), repository_inputs().known_addons)
