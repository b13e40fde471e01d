"""groundwork-runtime: the service runtime every groundwork Python service shares, versioned on its own.

Telemetry on the hot path (`middleware`, `otlp`, `tracing`, `metrics`, `logs`), health (`health`,
`lifecycle`), the resilient client (`downstream`), the settings base (`settings`) and the tuned server
(`server`). A service imports what it wires; `copier update` renders the service, Renovate bumps this package.
"""

from importlib import metadata

try:
    __version__ = metadata.version("groundwork-runtime")
except metadata.PackageNotFoundError:  # pragma: no cover - a bare source checkout
    __version__ = "0.0.0"
