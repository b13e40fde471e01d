"""Files the user names on the command line: written whole or not at all, with one line when that cannot be."""

import os
import tempfile
from pathlib import Path

from groundwork.errors import GroundworkError


def check_output(path: Path, flag: str) -> None:
    """Refuse, before any work, an output path that is a folder or whose folder does not exist."""
    if path.is_dir():
        raise GroundworkError(f"{flag} {path} is a folder", "give a file path, e.g. comment.md")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise GroundworkError(f"{flag} {path}: folder {parent} does not exist", "create it first or write elsewhere")


def write_output(path: Path, text: str, flag: str) -> None:
    """Write `text` to `path` (an `--output`-style option named `flag`) atomically: a directory, a missing
    parent folder or a place that cannot be written is one line naming `flag`, and nothing is left behind."""
    check_output(path, flag)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        handle, scratch = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise GroundworkError(f"{flag} {path} cannot be written", error.strerror or str(error)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(scratch, path)
    except OSError as error:
        Path(scratch).unlink(missing_ok=True)
        raise GroundworkError(f"{flag} {path} cannot be written", error.strerror or str(error)) from None
