"""Errors of the catalog: a malformed file is reported as `file:line: problem`, one line, never a traceback."""

from pathlib import Path

from groundwork.errors import GroundworkError


class CatalogError(GroundworkError):
    """A catalog file (or CODEOWNERS) that cannot be read as what it claims to be."""

    def __init__(self, file: Path | str, line: int, problem: str, fix: str = "") -> None:
        self.file = str(file)
        self.line = line
        super().__init__(f"{file}:{line}: {problem}", fix)
