"""`groundwork check [PATH] [--json] [--changed-since REF]`: the gate every GitOps pull request passes."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.errors import ExitCode


def check(
    path: Annotated[
        Path, typer.Argument(help="A repository holding gitops/, or a gitops/ folder (default: the current folder).")
    ] = Path("."),
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="Judge only what changed since the git revision REF can affect (all of it when a shared input "
            "changed: policies, catalog, chart versions, the gate itself). For pull requests: REF is the base.",
        ),
    ] = None,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse verdicts of targets whose inputs hash to a key already judged "
            "($GROUNDWORK_CHECK_CACHE, default ~/.cache/groundwork/results).",
        ),
    ] = True,
    timings: Annotated[bool, typer.Option("--timings", help="Print when each stage finished, to stderr.")] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Parallel kustomize/promtool processes.")
    ] = 2,
) -> None:
    """Render every overlay and judge it: strict schemas, checkov policies, promtool rules and SLO alert tests.

    Exit 0 when everything passes, 1 when something does not, 2 when PATH holds no GitOps tree or git cannot
    compare with REF, 3 when a judge (kubectl, promtool, uvx, node) is missing or broken.
    """
    from groundwork.check.incremental import GateOptions, run_gate
    from groundwork.check.report import render_json, render_text
    from groundwork.check.results import default_folder
    from groundwork.console import progress

    gate = GateOptions(workers=workers, since=changed_since, results=default_folder() if cache else None)
    with progress("groundwork check") as shown:
        report = run_gate(path, gate, shown)
    typer.echo(render_json(report) if json_output else render_text(report))
    if timings:
        for event, seconds in sorted(report.timings, key=lambda item: item[1]):
            typer.echo(f"{seconds:7.1f} s  {event}", err=True)
    if not report.ok:
        raise typer.Exit(ExitCode.FAILED)
