"""The environment the gate's Go judges (kustomize inside kubectl, promtool) run with.

Both are short-lived processes that allocate a lot: with Go's default GOGC=100 the garbage collector runs
many times per build or test file and, with GOMAXPROCS at the core count, its parallel workers and idle
spinning compete with the other processes the gate runs beside them. A larger GC target (memory bounded by
GOMEMLIMIT) and one OS thread per process cut their CPU time by a quarter to a third (bench/check) without
changing what they compute. Values the user exported win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

GO_TUNING: Mapping[str, str] = {
    "GOGC": "400",  # collect when the heap has grown 4x (default 2x)
    "GOMEMLIMIT": "768MiB",  # ... but collect harder before a process gets near this
    "GOMAXPROCS": "1",  # the gate already runs several Go processes side by side on few cores
}


def go_env() -> dict[str, str]:
    """The current environment plus GO_TUNING for any variable the user has not set."""
    return {**GO_TUNING, **os.environ}
