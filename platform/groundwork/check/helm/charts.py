"""Charts pulled once into a cache keyed by repository, chart and version, then read from there.

`$XDG_CACHE_HOME/groundwork/charts/<repository hash>/<chart>-<version>.tgz` (default `~/.cache`;
`$GROUNDWORK_CHART_CACHE` moves it). A pinned
version of a chart never changes, so a cached archive is used as it is. A chart that is not cached is pulled
with `helm pull --repo`; when that fails (this machine, for one, reaches no chart repository) the add-on is
reported as not judged, naming the chart, the repository and Helm's reason, and nothing is pretended.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from groundwork.check.cache import cache_root
from groundwork.gitops.versions import ChartPin

PULL_TIMEOUT_SECONDS = 120
CACHE_VARIABLE = "GROUNDWORK_CHART_CACHE"


class ChartUnreachable(Exception):
    """The chart is not cached and could not be pulled; `str()` says why, in one line."""


@dataclass(frozen=True)
class ChartCache:
    folder: Path

    @classmethod
    def default(cls) -> ChartCache:
        """`$GROUNDWORK_CHART_CACHE` when set, else `$XDG_CACHE_HOME/groundwork/charts`."""
        configured = os.environ.get(CACHE_VARIABLE)
        return cls(Path(configured).expanduser() if configured else cache_root() / "charts")

    def path(self, pin: ChartPin) -> Path:
        repository = hashlib.sha256(pin.repository.rstrip("/").encode()).hexdigest()[:16]
        return self.folder / repository / f"{pin.chart}-{pin.version}.tgz"

    def fetch(self, pin: ChartPin, helm: Path) -> Path:
        """The cached archive of `pin`, pulled first if absent; ChartUnreachable when it cannot be had."""
        cached = self.path(pin)
        if cached.is_file():
            return cached
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="groundwork-pull-", dir=cached.parent) as scratch:
            command = [
                str(helm),
                "pull",
                pin.chart,
                "--repo",
                pin.repository,
                "--version",
                pin.version,
                "--destination",
                scratch,
            ]
            try:
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=PULL_TIMEOUT_SECONDS,
                    env=helm_env(self.folder),
                )
            except subprocess.TimeoutExpired:
                raise ChartUnreachable(f"helm pull did not finish in {PULL_TIMEOUT_SECONDS} s") from None
            pulled = sorted(Path(scratch).glob("*.tgz"))
            if done.returncode != 0 or not pulled:
                reason = " ".join(done.stderr.split())[:300] or f"helm pull exited {done.returncode}"
                raise ChartUnreachable(reason)
            pulled[0].replace(cached)
        return cached


def helm_env(charts: Path) -> dict[str, str]:
    """Helm's own caches and configuration beside the chart cache, not in the user's ~/.config/helm."""
    home = charts.parent / "helm-home"
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
