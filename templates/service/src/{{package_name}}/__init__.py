"""The service package. Build the app with `create_app(settings)`; run it with `python -m` this package."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
