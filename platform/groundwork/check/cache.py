"""Where the gate keeps what it installs or computes once per version of its inputs."""

from __future__ import annotations

from pathlib import Path

from groundwork.paths import user_cache


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/groundwork`, default `~/.cache/groundwork` (`groundwork.paths.user_cache`)."""
    return user_cache()
