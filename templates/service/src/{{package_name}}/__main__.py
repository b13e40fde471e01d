"""`python -m <package>`: read the settings from the environment and serve."""

import sys

from pydantic import ValidationError

from .server import serve
from .settings import Settings, describe_error


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as error:
        print(describe_error(error), file=sys.stderr)
        raise SystemExit(2) from None
    serve(settings)


if __name__ == "__main__":
    main()
