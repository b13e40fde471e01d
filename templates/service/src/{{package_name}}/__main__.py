"""`python -m <package>`: read the settings from the environment and serve."""

import sys

from .server import serve
from .settings import ConfigurationError, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    serve(settings)


if __name__ == "__main__":
    main()
