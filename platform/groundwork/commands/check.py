"""`groundwork check [PATH] [--json]`: the gate every GitOps pull request passes."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.errors import ExitCode


def check(
    path: Annotated[
        Path, typer.Argument(help="A repository holding gitops/, or a gitops/ folder (default: the current folder).")
    ] = Path("."),
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    timings: Annotated[bool, typer.Option("--timings", help="Print when each stage finished, to stderr.")] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Parallel kustomize/promtool processes.")
    ] = 2,
) -> None:
    """Render every overlay and judge it: strict schemas, checkov policies, promtool rules and SLO alert tests.

    Exit 0 when everything passes, 1 when something does not, 2 when PATH holds no GitOps tree, 3 when a judge
    (kubectl, promtool, uvx, node) is missing or broken.
    """
    from groundwork.check.report import render_json, render_text  # heavy (schemas, models): only when run
    from groundwork.check.runner import CheckOptions, run_check
    from groundwork.console import progress

    with progress("groundwork check") as shown:
        report = run_check(path, CheckOptions(workers=workers), shown)
    typer.echo(render_json(report) if json_output else render_text(report))
    if timings:
        for event, seconds in sorted(report.timings, key=lambda item: item[1]):
            typer.echo(f"{seconds:7.1f} s  {event}", err=True)
    if not report.ok:
        raise typer.Exit(ExitCode.FAILED)
