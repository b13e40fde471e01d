"""`groundwork readiness [PATH] [--format table|markdown|json] [--fail-under N] [--service-repos DIR]`."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.errors import GroundworkError

FORMATS = ("table", "markdown", "json")


def readiness(
    path: Annotated[Path, typer.Argument(help="The platform repository (default: the current folder).")] = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="table (terminal), markdown (PR comment) or json.")] = "table",
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
    autonomy) from the catalog, the GitOps entries, infra/ and the services' repositories, with the evidence."""
    if fmt not in FORMATS:
        raise GroundworkError(f"--format '{fmt}' is unknown", f"use one of {', '.join(FORMATS)}")
    from groundwork.readiness.output import render  # heavier imports only when the command runs
    from groundwork.readiness.runner import ReadinessOptions, assess

    report = assess(path, ReadinessOptions(service_repos=service_repos))
    typer.echo(render(report, fmt))
    if fail_under is not None and report.score < fail_under:
        typer.echo(f"readiness {report.score}/{report.total} is under --fail-under {fail_under}", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("readiness")(readiness)
