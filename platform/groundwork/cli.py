"""The `groundwork` command line: argument parsing only, then the library does the work.

Every user error ends as one line on stderr and the exit code of `groundwork.errors.ExitCode`; tracebacks are
for bugs. Command modules import only typer and light modules at start-up (the work's imports live inside the
commands), so `groundwork --version` and `--help` stay fast: bench/cli measures it.
"""

import sys
from typing import Annotated

import typer

from groundwork.commands import check, conform, doctor, dora, new, pr_comment, promote, readiness, sandbox, up
from groundwork.errors import ExitCode, GroundworkError

app = typer.Typer(
    name="groundwork",
    help="GitOps platform engineering: scaffold services, gate GitOps changes, provision environments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=True,
)
app.add_typer(new.app, name="new")
app.add_typer(sandbox.app, name="sandbox")
app.command("check")(check.check)
doctor.register(app)
up.register(app)
readiness.register(app)
conform.register(app)
app.command("promote")(promote.promote)
app.command("dora")(dora.dora)
app.command("pr-comment")(pr_comment.pr_comment)


def _show_version(value: bool) -> None:
    if value:
        from groundwork import __version__

        typer.echo(f"groundwork {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """GitOps platform engineering: scaffold services, gate GitOps changes, provision environments.

    Exit codes: 0 ok, 1 findings or failed checks, 2 usage error or bad input, 3 a missing tool.
    """


def _one_line(text: str) -> str:
    return " ".join(text.split())


def run(argv: list[str]) -> int:
    """Run the CLI on `argv` and return the exit code; errors become one line on stderr."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="groundwork", standalone_mode=False)
    except GroundworkError as error:
        typer.echo(f"error: {_one_line(str(error))}", err=True)
        return int(error.exit_code)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        return ExitCode.INTERRUPTED
    except typer.TyperException as error:  # Click's errors, as Typer vendors them
        if type(error).__name__ == "NoArgsIsHelpError":  # a bare group: its real help, as `--help` prints it
            context = getattr(error, "ctx", None)
            typer.echo(context.get_help() if context is not None else "")
            return ExitCode.USAGE
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        message = _one_line(message).replace("Value error, ", "")  # Typer's choice check words it via pydantic
        typer.echo(f"error: {message} (see 'groundwork --help')", err=True)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except IsADirectoryError as error:
        typer.echo(f"error: {error.filename} is a folder: give a file path", err=True)
        return ExitCode.USAGE
    except PermissionError as error:
        typer.echo(f"error: {error.filename}: permission denied: choose a place you can write", err=True)
        return ExitCode.USAGE
    return int(result) if isinstance(result, int) else ExitCode.OK


def main() -> None:
    sys.exit(run(sys.argv[1:]))
