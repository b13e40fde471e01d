"""`groundwork doctor`: check the tools `groundwork up` needs and print the exact fix for each gap."""

from typing import Annotated

import typer

from groundwork.errors import GroundworkError
from groundwork.infra.settings import ENVS
from groundwork.provision.doctor import diagnose, tools_for


def doctor(
    env: Annotated[str, typer.Option("--env", help="The environment to check for: kind or eks.")] = "kind",
) -> None:
    """Check docker, kind, pulumi and kubectl (pulumi, kubectl, aws and docker for eks): versions and fixes."""
    if env not in ENVS:
        raise GroundworkError(f"--env '{env}' is unknown", f"use one of {', '.join(ENVS)}")
    findings = diagnose(tools_for(env))
    for finding in findings:
        typer.echo(finding.line())
    gaps = [finding for finding in findings if not finding.ok]
    if gaps:
        typer.echo(f"{len(gaps)} of {len(findings)} tools need attention (fixes above)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ready: groundwork up --env {env}")


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
