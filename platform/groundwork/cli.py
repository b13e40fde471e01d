"""The `groundwork` command line: argument parsing only, then the library does the work.

Every user error ends as one line on stderr and a non-zero exit code; tracebacks are for bugs.
"""

import sys
from typing import Annotated

import typer

from groundwork import __version__
from groundwork.commands import check, conform, doctor, dora, new, pr_comment, promote, readiness, up
from groundwork.errors import GroundworkError

app = typer.Typer(
    name="groundwork",
    help="GitOps platform engineering: scaffold services, gate GitOps changes, provision environments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)
app.add_typer(new.app, name="new")
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
        typer.echo(f"groundwork {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """GitOps platform engineering: scaffold services, gate GitOps changes, provision environments."""


def run(argv: list[str]) -> int:
    """Run the CLI on `argv` and return the exit code; errors become one line on stderr."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="groundwork", standalone_mode=False)
    except GroundworkError as error:
        typer.echo(f"error: {error}", err=True)
        return error.exit_code
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        return 130
    except typer.TyperException as error:  # usage errors: unknown option, missing argument, bad value
        message = " ".join(error.format_message().split()) if hasattr(error, "format_message") else str(error)
        typer.echo(f"error: {message} (see 'groundwork --help')", err=True)
        return int(getattr(error, "exit_code", 2))
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        return 130
    return int(result) if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
