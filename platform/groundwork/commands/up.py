"""`groundwork up` / `groundwork down`: provision or destroy an environment (kind locally, EKS in AWS) with the
Pulumi program in infra/, then wait for Argo CD. The steps live in groundwork.provision.orchestrate."""

from typing import Annotated

import typer

from groundwork.choices import Env

EnvOption = Annotated[
    Env,
    typer.Option(
        "--env", help="kind (Docker on this machine), eks (AWS) or sandbox (no Docker: kwok nodes, host processes)."
    ),
]


def up(
    env: EnvOption = Env.KIND,
    repo_url: Annotated[
        str | None, typer.Option("--repo-url", help="Git URL Argo CD syncs (default: the stack's, else 'origin').")
    ] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="Branch, tag or commit to sync.")] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=60, help="Seconds to wait for Argo CD to be Synced and Healthy.")
    ] = 1200.0,
    fleet: Annotated[
        bool, typer.Option("--fleet/--no-fleet", help="kind: build and load the demo fleet's images.")
    ] = True,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the configuration and print what 'up' would do; change nothing.")
    ] = False,
) -> None:
    """Provision an environment, bootstrap Argo CD onto gitops/, wait until every Application is Healthy."""
    from groundwork.gitorigin import git_origin
    from groundwork.paths import find_template_root
    from groundwork.provision.orchestrate import Layout, UpOptions, provision, real_ports

    if env is Env.SANDBOX:
        from groundwork.sandbox.up import sandbox_up

        sandbox_up(find_template_root(), typer.echo, timeout_seconds=timeout, dry_run=dry_run)
        return
    layout = Layout(find_template_root())
    options = UpOptions(env=env.value, timeout_seconds=timeout, repo_url=repo_url, revision=revision, fleet=fleet)
    if dry_run:
        from groundwork.provision.doctor import diagnose, tools_for
        from groundwork.provision.dry_run import describe_up

        def missing(name: str) -> list[str]:
            return [finding.line() for finding in diagnose(tools_for(name)) if not finding.ok]

        for line in describe_up(layout, options, git_origin(layout.repository), missing):
            typer.echo(line)
        return
    provision(layout, options, real_ports(typer.echo))


def down(env: EnvOption = Env.KIND) -> None:
    """Destroy an environment created by 'groundwork up'."""
    from groundwork.paths import find_template_root
    from groundwork.provision.orchestrate import Layout, real_ports, teardown

    if env is Env.SANDBOX:
        from groundwork.sandbox.up import sandbox_down

        sandbox_down(find_template_root(), typer.echo)
        return
    teardown(Layout(find_template_root()), env.value, real_ports(typer.echo))


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
