"""`python -m <package>`: read the settings from the environment and serve."""

import sys

from groundwork_runtime.server import serve
from groundwork_runtime.settings import ConfigurationError

from .about import SERVICE_NAME
from .app import create_app
from .settings import load_settings


def main() -> None:
    try:
        settings = load_settings()
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    serve(settings, create_app, SERVICE_NAME)


if __name__ == "__main__":
    main()
