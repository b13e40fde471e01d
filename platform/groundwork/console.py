"""What the CLI shows while it works: colour only on a terminal and never with NO_COLOR, and progress on long
work as a Rich status line on a terminal or plain lines elsewhere (CI logs, pipes). Output goes to stderr, so
stdout stays the command's result."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Progress = Callable[[str], None]


def colour_allowed(stream: TextIO | None = None) -> bool:
    """True on a terminal unless NO_COLOR is set to anything non-empty (https://no-color.org)."""
    stream = stream or sys.stderr
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def quiet(_message: str) -> None:
    """A progress sink that shows nothing."""


@contextmanager
def progress(title: str, stream: TextIO | None = None) -> Iterator[Progress]:
    """Show progress of `title` while the block runs; the block reports each step through the function it is
    given. Off a terminal each step is one plain line, so a CI log shows where a slow run is."""
    stream = stream or sys.stderr
    if not (getattr(stream, "isatty", None) and stream.isatty()):
        # One plain line per step, nothing before the first: an early one-line error stays one line.
        def plain(message: str) -> None:
            print(f"{title}: {message}", file=stream, flush=True)

        yield plain
        return
    from rich.console import Console  # only on a terminal: Rich costs start-up time

    console = Console(file=stream, no_color=not colour_allowed(stream), highlight=False)
    with console.status(title) as status:

        def live(message: str) -> None:
            status.update(f"{title}: {message}")

        yield live
