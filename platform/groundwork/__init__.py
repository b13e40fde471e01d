"""groundwork: a GitOps platform-engineering template and the CLI that drives it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("groundwork")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"
