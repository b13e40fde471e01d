"""One error hierarchy for everything a user can get wrong, and the one table of exit codes.

The CLI (`groundwork.cli.run`) maps every error to one line on stderr and `error.exit_code`. Commands never
pass a bare number to `typer.Exit`: they use `ExitCode` (tests/test_cli_exit_codes.py enforces it).
"""

from enum import IntEnum


class ExitCode(IntEnum):
    """What `groundwork` exits with: the table in README.md ("Exit codes") lists exactly these."""

    OK = 0
    FAILED = 1  # findings, failed checks, readiness below the bar, an action that did not succeed
    USAGE = 2  # usage errors and bad input: unknown option, bad value, a file that is not what it should be
    MISSING_TOOL = 3  # a tool groundwork needs (kubectl, promtool, uvx, git, docker...) is missing or broken
    INTERRUPTED = 130  # Ctrl-C


class GroundworkError(Exception):
    """A problem the user can fix. `str(error)` is one line: what is wrong, then how to fix it.

    By default it is bad input (exit 2); subclasses say otherwise through `exit_code`.
    """

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}: {fix}" if fix else problem)


class MissingTool(GroundworkError):
    """An external tool is not installed, or crashed instead of doing its job (exit 3)."""

    exit_code = ExitCode.MISSING_TOOL


class ActionFailed(GroundworkError):
    """Something groundwork tried on the user's behalf did not succeed (exit 1)."""

    exit_code = ExitCode.FAILED


class InvalidAnswer(GroundworkError):
    """A template answer failed its validator; `question` names the Copier question."""

    def __init__(self, problem: str, question: str = "") -> None:
        self.question = question
        super().__init__(problem)


class DestinationExists(GroundworkError):
    """Rendering would overwrite files that are already there."""


class TemplateNotFound(GroundworkError):
    """The Copier template (this repository) could not be located."""


class BadInput(GroundworkError):
    """The command line cannot run as given (conflicting or unknown options): exit 2, like a usage error."""


class ToolMissing(MissingTool):
    """An external judge or tool (kubectl, promtool, node, uvx) is not installed: nothing was decided (exit 3)."""


class ToolBroken(MissingTool):
    """An external judge ran but crashed, timed out or printed no verdict instead of judging (exit 3)."""


def last_line(output: str | Exception, empty: str = "no output") -> str:
    """The last non-blank line of a tool's output (or of an error's text), for a one-line message."""
    lines = [line.strip() for line in str(output).splitlines() if line.strip()]
    return lines[-1] if lines else empty
