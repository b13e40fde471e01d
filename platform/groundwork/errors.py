"""One error hierarchy for everything a user can get wrong; the CLI maps it to one line and an exit code."""


class GroundworkError(Exception):
    """A problem the user can fix. `str(error)` is one line: what is wrong, then how to fix it."""

    exit_code = 1

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}: {fix}" if fix else problem)


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

    exit_code = 2


class ToolMissing(GroundworkError):
    """An external judge or tool (kubectl, promtool, node, uvx) is not installed: nothing was decided (exit 2)."""

    exit_code = 2


class ToolBroken(GroundworkError):
    """An external judge ran but crashed, timed out or printed no verdict instead of judging (exit 2)."""

    exit_code = 2


def last_line(output: str | Exception, empty: str = "no output") -> str:
    """The last non-blank line of a tool's output (or of an error's text), for a one-line message."""
    lines = [line.strip() for line in str(output).splitlines() if line.strip()]
    return lines[-1] if lines else empty
