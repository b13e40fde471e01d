"""`groundwork doctor`: check the tools `groundwork up` needs and print the exact fix for each gap."""

from typing import Annotated

import typer

from groundwork.choices import Env
from groundwork.errors import ExitCode


def doctor(
    env: Annotated[Env, typer.Option("--env", help="The environment to check for.")] = Env.KIND,
) -> None:
    """Check docker, kind, pulumi and kubectl (pulumi, kubectl, aws and docker for eks): versions and fixes.

    Exit 0 when every tool is ready, 3 when one is missing, too old or broken.
    """
    from groundwork.provision.doctor import diagnose, tools_for

    if env is Env.SANDBOX:
        from groundwork.paths import find_template_root
        from groundwork.sandbox.doctor import sandbox_findings
        from groundwork.sandbox.toolchain import Toolchain

        findings = sandbox_findings(Toolchain.for_repository(find_template_root()))
    else:
        findings = diagnose(tools_for(env.value))
    for finding in findings:
        typer.echo(finding.line())
    gaps = [finding for finding in findings if not finding.ok]
    if gaps:
        typer.echo(f"{len(gaps)} of {len(findings)} tools need attention (fixes above)", err=True)
        raise typer.Exit(ExitCode.MISSING_TOOL)
    typer.echo(f"ready: groundwork up --env {env.value}")


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
