"""`groundwork readiness [PATH] [--format table|markdown|json] [--strict] [--fail-under N] [--service-repos DIR]`."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.choices import ReadinessFormat
from groundwork.errors import ExitCode


def readiness(
    path: Annotated[Path, typer.Argument(help="The platform repository (default: the current folder).")] = Path("."),
    fmt: Annotated[
        ReadinessFormat, typer.Option("--format", help="table (terminal), markdown (PR comment) or json.")
    ] = ReadinessFormat.TABLE,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when any item fails (what CI runs); 'not yet proven' is shown.")
    ] = False,
    fail_under: Annotated[
        int | None,
        typer.Option("--fail-under", min=0, max=6, help="Exit 1 when fewer than N of the 6 items are ready."),
    ] = None,
    service_repos: Annotated[
        Path | None,
        typer.Option(
            "--service-repos",
            help="Folder of the services' repository checkouts, one per service name (default: render each "
            "service from its GitOps entry's answers through the service template).",
        ),
    ] = None,
) -> None:
    """Score the six readiness items (provisioning, monitoring, deployment, ownership, domain boundaries, team
    autonomy) from the catalog, the GitOps entries, infra/ and the services' repositories, with the evidence.

    Exit 0 unless --strict finds a failed item or the score is under --fail-under (then 1).
    """
    from groundwork.console import progress
    from groundwork.readiness.output import render  # heavier imports only when the command runs
    from groundwork.readiness.runner import ReadinessOptions, assess

    with progress("groundwork readiness") as shown:
        report = assess(path, ReadinessOptions(service_repos=service_repos, progress=shown))
    typer.echo(render(report, fmt.value))
    if strict and report.failed:
        titles = ", ".join(f"{item.spec.number} {item.spec.title}" for item in report.failed)
        typer.echo(f"readiness --strict: {len(report.failed)} item(s) failed: {titles}", err=True)
        raise typer.Exit(ExitCode.FAILED)
    if fail_under is not None and report.score < fail_under:
        typer.echo(f"readiness {report.score}/{report.total} is under --fail-under {fail_under}", err=True)
        raise typer.Exit(ExitCode.FAILED)


def register(app: typer.Typer) -> None:
    app.command("readiness")(readiness)
