"""`groundwork new service`: scaffold a service repository and its GitOps entry from the templates."""

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from groundwork.errors import GroundworkError, InvalidAnswer
from groundwork.paths import ANSWERS_FILE, APPS_DIR, GITOPS_DIR, find_template_root

if TYPE_CHECKING:
    from groundwork.service_plan import PlatformChange, Request

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
    "database": "--database",
    "events": "--events",
    "publishes": "--publishes",
    "consumes": "--consumes",
    "database_cluster": "--database-cluster/--no-database-cluster",
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
    database_cluster: Annotated[
        bool | None,
        typer.Option(
            "--database-cluster/--no-database-cluster",
            help="With --database postgres: its own Cluster, credentials and migrations in the entry (default).",
        ),
    ] = None,
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
    database: Annotated[
        str | None, typer.Option("--database", help="Its own state: 'none' (default) or 'postgres'.")
    ] = None,
    events: Annotated[
        str | None, typer.Option("--events", help="'none' (default) or 'kafka' (outbox and consumer; needs postgres).")
    ] = None,
    publishes: Annotated[
        str | None, typer.Option("--publishes", help="Topics it owns, comma-separated (default: NAME.events).")
    ] = None,
    consumes: Annotated[str, typer.Option("--consumes", help="Topics it consumes, comma-separated.")] = "",
    template: Annotated[
        str | None, typer.Option("--template", help="Template source (default: this groundwork checkout).")
    ] = None,
    vcs_ref: Annotated[str | None, typer.Option("--ref", help="Template git tag or commit to render.")] = None,
    lock: Annotated[bool, typer.Option("--lock/--no-lock", help="Run 'uv lock' in the new project.")] = True,
    git: Annotated[
        bool, typer.Option("--git/--no-git", help="Make the new service a git repository with a first commit.")
    ] = True,
    new_team: Annotated[
        bool, typer.Option("--new-team", help="--team is a new team: add its Group to the catalog.")
    ] = False,
    new_domain: Annotated[
        bool, typer.Option("--new-domain", help="--domain is a new domain: add its Domain and System to the catalog.")
    ] = False,
    plan: Annotated[
        bool,
        typer.Option("--plan", help="Print which files of which teams the new service's edges change; write nothing."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print everything that would be written or changed; write nothing.")
    ] = False,
) -> None:
    """Scaffold a service (FastAPI or Fastify app, telemetry, health, resilience, Dockerfile, CI) and its GitOps
    entry."""
    from groundwork.console import progress
    from groundwork.edges import render_edges, stamp_source, swap_in
    from groundwork.gitinit import initial_commit, require_git
    from groundwork.registry import register_service  # copier and ruamel.yaml: only when the command runs
    from groundwork.scaffold import DeployAnswers, RenderJob, ServiceAnswers, lock_dependencies, staged
    from groundwork.service_plan import Request, append_entities, plan_platform_change, template_source

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
        database=database,
        events=events,
        publishes=None if publishes is None else _names(publishes),
        consumes=_names(consumes),
    )
    deploy_options = {
        "--consumers": consumers or None,
        "--expose/--no-expose": expose,
        "--database-cluster/--no-database-cluster": database_cluster,
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
    if git:
        require_git()  # before anything is written
    source = template or str(find_template_root())
    jobs = [RenderJob("service", service.as_data(), dest or Path(name))]
    change = None
    changed: list[str] = []
    elsewhere: list[str] = []
    if deploy:
        gitops_dir = _gitops_dir(gitops, template)
        extras = DeployAnswers(
            consumers=_names(consumers),
            expose=expose,
            database_cluster=database_cluster,
            public_host=public_host,
            image_tag=image_tag,
            image_digest=image_digest,
            slo_availability_target=slo_availability,
            slo_latency_threshold_ms=slo_latency_ms,
            slo_latency_target=slo_latency_target,
        )
        jobs.append(RenderJob("deploy", {**service.as_data(), **extras.as_data()}, gitops_dir / APPS_DIR / name))
    elif new_team or new_domain or plan:
        raise GroundworkError("--new-team, --new-domain and --plan change the platform repository", "drop --no-deploy")
    try:
        with staged(source, jobs, vcs_ref=vcs_ref) as projects:
            if deploy:
                org = (gitops_repo or "acme/platform").split("/")[0]
                request = Request(name, team, domain, _names(calls), _names(consumers), new_team, new_domain, org)
                change = plan_platform_change(gitops_dir, request)
            apps = gitops_dir / APPS_DIR if deploy else None
            origin = template_source(template, find_template_root(), apps, gitops_repo or "acme/platform")
            for project in projects.scratch:
                stamp_source(project / ANSWERS_FILE, origin)
            projects.check_destinations()
            with render_edges(source, change.edges) if change else contextlib.nullcontext() as _edges:
                if plan or dry_run:
                    _describe(projects.dests, change, request if change else None, dry_run)
                    return
                changed = change.describe(request) if change else []
                elsewhere = change.elsewhere(request) if change else []
                rendered = projects.commit()
                if change:
                    swap_in(change.edges)
                    append_entities(change)
    except InvalidAnswer as error:
        option = _OPTION_FOR_QUESTION.get(error.question)
        raise InvalidAnswer(f"{error.problem} (set by {option})" if option else error.problem, error.question) from None
    if lock and (rendered[0] / "pyproject.toml").is_file():  # a Node project ships its package-lock.json
        with progress("groundwork new service") as shown:
            shown(f"uv lock in {rendered[0]}")
            lock_dependencies(rendered[0])
    if git:
        from groundwork import __version__

        initial_commit(rendered[0], f"{name}: generated by groundwork {__version__} (groundwork new service)")
    typer.echo(f"created service '{name}' in {rendered[0]}" + (" (a git repository, first commit made)" if git else ""))
    if deploy and change:
        typer.echo(f"created its GitOps entry in {rendered[1]} (commit it to the platform repository)")
        for line in changed:
            typer.echo(f"updated: {line}")
        org = (gitops_repo or "acme/platform").split("/")[0]
        registration = register_service(rendered[1].parents[2], name, team, org)
        for file in registration.changed:
            typer.echo(f"registered '{name}' in {file}")
        for line in elsewhere:
            typer.echo(f"next: {line}")
    check = "npm ci && npm test" if (rendered[0] / "package.json").is_file() else "uv run pytest"
    typer.echo(f"next: cd {rendered[0]} && {check}")


def _describe(dests: list[Path], change: "PlatformChange | None", request: "Request | None", dry_run: bool) -> None:
    if dry_run:
        typer.echo(f"would create the service repository {dests[0]}")
        if len(dests) > 1:
            typer.echo(f"would create its GitOps entry {dests[1]} and register it in catalog-info.yaml and CODEOWNERS")
    lines = [*change.describe(request), *change.elsewhere(request)] if change and request else []
    for line in lines:
        typer.echo(f"would change: {line}" if dry_run else line)
    if not dry_run and not lines:
        typer.echo("no other team's files change")
    typer.echo("nothing was written (--dry-run)" if dry_run else "nothing was written (--plan)")


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
