"""`groundwork up` / `groundwork down`: provision or destroy an environment (kind locally, EKS in AWS) with the
Pulumi program in infra/, then wait for Argo CD. The steps live in groundwork.provision.orchestrate."""

from typing import Annotated

import typer

from groundwork.errors import GroundworkError
from groundwork.infra.settings import ENVS
from groundwork.paths import find_template_root
from groundwork.provision.orchestrate import Layout, UpOptions, provision, real_ports, teardown

EnvOption = Annotated[str, typer.Option("--env", help="kind (Docker on this machine) or eks (AWS).")]


def _checked(env: str) -> str:
    if env not in ENVS:
        raise GroundworkError(f"--env '{env}' is unknown", f"use one of {', '.join(ENVS)}")
    return env


def up(
    env: EnvOption = "kind",
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
) -> None:
    """Provision an environment, bootstrap Argo CD onto gitops/, wait until every Application is Healthy."""
    options = UpOptions(env=_checked(env), timeout_seconds=timeout, repo_url=repo_url, revision=revision, fleet=fleet)
    provision(Layout(find_template_root()), options, real_ports(typer.echo))


def down(env: EnvOption = "kind") -> None:
    """Destroy an environment created by 'groundwork up'."""
    teardown(Layout(find_template_root()), _checked(env), real_ports(typer.echo))


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
