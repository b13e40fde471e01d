"""`PYTHONPATH=tests python -m servers resolve`: fetch the test Kafka broker's jars through Maven ahead of the
test run (scripts/install-tools calls it), and check PostgreSQL is installed."""

from __future__ import annotations

import sys

from servers.kafka import kafka_jars
from servers.postgres import postgres_bin_dir
from servers.process import ServerUnavailable


def main(argv: list[str]) -> int:
    if argv != ["resolve"]:
        print("usage: python -m servers resolve", file=sys.stderr)
        return 2
    try:
        print(f"kafka broker jars: {kafka_jars()}")
        print(f"postgresql: {postgres_bin_dir()}")
    except ServerUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
