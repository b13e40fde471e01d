"""`groundwork new service`: scaffold a service repository and its GitOps entry from the templates."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.errors import GroundworkError, InvalidAnswer
from groundwork.paths import APPS_DIR, GITOPS_DIR, find_template_root

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
    "stack": "--stack",
    "consumers": "--consumers",
    "public_host": "--public-host",
    "image_tag": "--image-tag",
    "image_digest": "--image-digest",
    "slo_availability_target": "--slo-availability",
    "slo_latency_threshold_ms": "--slo-latency-ms",
    "slo_latency_target": "--slo-latency-target",
}


def _names(csv: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in csv.split(",") if part.strip())


@app.command("service")
def new_service(
    name: Annotated[str, typer.Argument(help="Service name (DNS-1123 label, at most 40 characters).")],
    team: Annotated[str, typer.Option("--team", help="The one team that owns the service.")],
    domain: Annotated[str, typer.Option("--domain", help="The bounded context it belongs to.")],
    dest: Annotated[Path | None, typer.Option("--dest", help="Where to write the service (default: ./NAME).")] = None,
    description: Annotated[str | None, typer.Option("--description", help="One line on what it does.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Container port (1024-65535).")] = None,
    calls: Annotated[
        str, typer.Option("--calls", help="Services it calls, comma-separated: 'inventory,payment'.")
    ] = "",
    registry: Annotated[str | None, typer.Option("--registry", help="Image registry, e.g. ghcr.io/acme.")] = None,
    gitops_repo: Annotated[str | None, typer.Option("--gitops-repo", help="GitOps repository as owner/name.")] = None,
    gitops: Annotated[
        Path | None,
        typer.Option("--gitops", help="The gitops/ folder to add the deploy entry to (default: this checkout's)."),
    ] = None,
    deploy: Annotated[bool, typer.Option("--deploy/--no-deploy", help="Also render gitops/apps/NAME.")] = True,
    consumers: Annotated[str, typer.Option("--consumers", help="Services allowed to call it, comma-separated.")] = "",
    expose: Annotated[
        bool | None, typer.Option("--expose/--no-expose", help="Serve it through the ingress gateway.")
    ] = None,
    public_host: Annotated[str | None, typer.Option("--public-host", help="Host name when exposed.")] = None,
    image_tag: Annotated[str | None, typer.Option("--image-tag", help="Image tag dev runs first.")] = None,
    image_digest: Annotated[
        str | None, typer.Option("--image-digest", help="sha256 digest of the first release (staging/prod).")
    ] = None,
    slo_availability: Annotated[
        float | None, typer.Option("--slo-availability", help="Availability SLO in percent.")
    ] = None,
    slo_latency_ms: Annotated[int | None, typer.Option("--slo-latency-ms", help="Latency SLO threshold.")] = None,
    slo_latency_target: Annotated[
        float | None, typer.Option("--slo-latency-target", help="Latency SLO in percent.")
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option("--stack", help="python (FastAPI, the default) or node (TypeScript, Fastify)."),
    ] = None,
    template: Annotated[
        str | None, typer.Option("--template", help="Template source (default: this groundwork checkout).")
    ] = None,
    vcs_ref: Annotated[str | None, typer.Option("--ref", help="Template git tag or commit to render.")] = None,
    lock: Annotated[bool, typer.Option("--lock/--no-lock", help="Run 'uv lock' in the new project.")] = True,
) -> None:
    """Scaffold a service (FastAPI or Fastify app, telemetry, health, resilience, Dockerfile, CI) and its GitOps
    entry."""
    from groundwork.registry import register_service  # copier and ruamel.yaml: only when the command runs
    from groundwork.scaffold import DeployAnswers, RenderJob, ServiceAnswers, lock_dependencies, render_all

    service = ServiceAnswers(
        service_name=name,
        owner_team=team,
        domain=domain,
        description=description,
        http_port=port,
        downstreams=_names(calls),
        container_registry=registry,
        gitops_repo=gitops_repo,
        stack=stack,
    )
    deploy_options = {
        "--consumers": consumers or None,
        "--expose/--no-expose": expose,
        "--public-host": public_host,
        "--image-tag": image_tag,
        "--image-digest": image_digest,
        "--slo-availability": slo_availability,
        "--slo-latency-ms": slo_latency_ms,
        "--slo-latency-target": slo_latency_target,
    }
    given = [option for option, value in deploy_options.items() if value is not None]
    if not deploy and given:
        raise GroundworkError(
            f"{', '.join(given)} set the GitOps entry, which --no-deploy does not render",
            "drop --no-deploy, or drop those options",
        )
    source = template or str(find_template_root())
    jobs = [RenderJob("service", service.as_data(), dest or Path(name))]
    if deploy:
        entry = _gitops_dir(gitops, template) / APPS_DIR / name
        extras = DeployAnswers(
            consumers=_names(consumers),
            expose=expose,
            public_host=public_host,
            image_tag=image_tag,
            image_digest=image_digest,
            slo_availability_target=slo_availability,
            slo_latency_threshold_ms=slo_latency_ms,
            slo_latency_target=slo_latency_target,
        )
        jobs.append(RenderJob("deploy", {**service.as_data(), **extras.as_data()}, entry))
    try:
        rendered = render_all(source, jobs, vcs_ref=vcs_ref)
    except InvalidAnswer as error:
        option = _OPTION_FOR_QUESTION.get(error.question)
        raise InvalidAnswer(f"{error.problem} (set by {option})" if option else error.problem, error.question) from None
    if lock:
        lock_dependencies(rendered[0])
    typer.echo(f"created service '{name}' in {rendered[0]}")
    if deploy:
        typer.echo(f"created its GitOps entry in {rendered[1]} (commit it to the platform repository)")
        org = (gitops_repo or "acme/platform").split("/")[0]
        registration = register_service(rendered[1].parents[2], name, team, org)
        for changed in registration.changed:
            typer.echo(f"registered '{name}' in {changed}")
    check = "npm ci && npm test" if (rendered[0] / "package.json").is_file() else "uv run pytest"
    typer.echo(f"next: cd {rendered[0]} && {check}")


def _gitops_dir(gitops: Path | None, template: str | None) -> Path:
    if gitops is not None:
        if not gitops.is_dir():
            raise GroundworkError(f"--gitops {gitops} is not a folder", "point it at the platform repository's gitops/")
        return gitops
    if template is None:
        return find_template_root() / GITOPS_DIR
    raise GroundworkError(
        "no gitops/ folder for the deploy entry",
        "pass --gitops <platform checkout>/gitops, or --no-deploy to render only the service",
    )
