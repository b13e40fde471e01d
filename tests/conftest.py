"""Shared fixtures for the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from render_support import REPO_ROOT


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
