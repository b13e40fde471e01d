"""`groundwork conform [--url BASE] [--clause ID]... [--json FILE] -- <command>`: certify a service against the
platform contract from outside."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.errors import BadInput, ExitCode
from groundwork.files import write_output


def conform(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option("--url", help="Probe a service already running at this base URL.")] = None,
    clause: Annotated[
        list[str] | None, typer.Option("--clause", help="Only this clause id or group (repeatable), e.g. 'outbound'.")
    ] = None,
    downstream: Annotated[
        list[str] | None,
        typer.Option("--downstream", help="A declared downstream (repeatable; default: the names /readyz checks)."),
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the JSON report to this file.")] = None,
    start_timeout: Annotated[
        float, typer.Option("--start-timeout", min=1, help="Seconds the service may take to answer /startupz.")
    ] = 60.0,
) -> None:
    """Start the service (the command after '--') on loopback with a test OTLP receiver and test downstreams,
    judge every clause of the platform contract, print one line per clause; exit 1 on any failure."""
    from groundwork.conform.runner import ConformError, ConformOptions, run_conformance

    command = tuple(ctx.args)
    if url and command:
        raise BadInput("give either --url or '-- <command>', not both", "drop one of them")
    if json_path is not None and json_path.is_dir():
        raise BadInput(f"--json {json_path} is a folder", "give a file path such as conform.json")
    options = ConformOptions(
        command=command,
        url=url,
        downstreams=tuple(downstream) if downstream else None,
        only=tuple(clause or ()),
        start_timeout=start_timeout,
    )
    try:
        report = run_conformance(options)
    except ConformError as error:
        raise BadInput(str(error)) from None
    for line in report.lines():
        typer.echo(line)
    if json_path is not None:
        write_output(json_path, report.to_json() + "\n", "--json")
    if not report.ok:
        raise typer.Exit(ExitCode.FAILED)


def register(app: typer.Typer) -> None:
    app.command("conform", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(conform)
