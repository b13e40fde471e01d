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
