"""`groundwork new service`: scaffold a service repository from the service template."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.errors import InvalidAnswer
from groundwork.paths import find_template_root
from groundwork.scaffold import ServiceAnswers, lock_dependencies, render

app = typer.Typer(help="Create new things from groundwork's templates.", no_args_is_help=True)

# Copier question -> the option that sets it, so a refused answer names what the user typed.
_OPTION_FOR_QUESTION = {
    "service_name": "NAME",
    "owner_team": "--team",
    "domain": "--domain",
    "description": "--description",
    "http_port": "--port",
    "downstreams": "--calls",
    "container_registry": "--registry",
    "gitops_repo": "--gitops-repo",
}


@app.command("service")
def new_service(
    name: Annotated[str, typer.Argument(help="Service name (DNS-1123 label, at most 40 characters).")],
    team: Annotated[str, typer.Option("--team", help="The one team that owns the service.")],
    domain: Annotated[str, typer.Option("--domain", help="The bounded context it belongs to.")],
    dest: Annotated[Path | None, typer.Option("--dest", help="Where to write it (default: ./NAME).")] = None,
    description: Annotated[str | None, typer.Option("--description", help="One line on what it does.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Container port (1024-65535).")] = None,
    calls: Annotated[
        str, typer.Option("--calls", help="Comma-separated services it calls, e.g. 'inventory,payment'.")
    ] = "",
    registry: Annotated[str | None, typer.Option("--registry", help="Image registry, e.g. ghcr.io/acme.")] = None,
    gitops_repo: Annotated[str | None, typer.Option("--gitops-repo", help="GitOps repository as owner/name.")] = None,
    template: Annotated[
        str | None, typer.Option("--template", help="Template source (default: this groundwork checkout).")
    ] = None,
    vcs_ref: Annotated[str | None, typer.Option("--ref", help="Template git tag or commit to render.")] = None,
    lock: Annotated[bool, typer.Option("--lock/--no-lock", help="Run 'uv lock' in the new project.")] = True,
) -> None:
    """Scaffold a service: FastAPI app, telemetry, health, resilience, Dockerfile and CI."""
    answers = ServiceAnswers(
        service_name=name,
        owner_team=team,
        domain=domain,
        description=description,
        http_port=port,
        downstreams=tuple(part.strip() for part in calls.split(",") if part.strip()),
        container_registry=registry,
        gitops_repo=gitops_repo,
    )
    source = template or str(find_template_root())
    try:
        project = render(source, "service", answers.as_data(), dest or Path(name), vcs_ref=vcs_ref)
    except InvalidAnswer as error:
        option = _OPTION_FOR_QUESTION.get(error.question)
        raise InvalidAnswer(f"{error.problem} (set by {option})" if option else error.problem, error.question) from None
    if lock:
        lock_dependencies(project)
    typer.echo(f"created service '{name}' in {project}")
    typer.echo(f"next: cd {project} && uv run pytest")
