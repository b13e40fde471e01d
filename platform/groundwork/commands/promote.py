"""`groundwork promote SERVICE --from ENV --to ENV`: copy the image digest one overlay runs into the next."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.choices import Stage
from groundwork.errors import GroundworkError


def promote(
    service: Annotated[str, typer.Argument(help="The service (a folder of gitops/apps/).")],
    source: Annotated[Stage, typer.Option("--from", help="The environment whose image is promoted.")],
    target: Annotated[Stage, typer.Option("--to", help="The environment that gets it.")],
    digest: Annotated[
        str | None, typer.Option("--digest", help="The digest you mean to promote; refused unless --from runs it.")
    ] = None,
    repo: Annotated[Path, typer.Option("--repo", help="The GitOps repository (default: the current folder).")] = Path(
        "."
    ),
    commit: Annotated[
        bool, typer.Option("--commit", help="Create a branch and commit the change with deployment trailers.")
    ] = False,
    open_pr: Annotated[
        bool, typer.Option("--open", help="With --commit: push the branch and open the pull request with gh.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the change the promotion would make; write nothing.")
    ] = False,
) -> None:
    """Point --to at the image --from runs, by digest: the overlay's digest, newTag and version label move
    together; comments and everything else in the file stay as they are."""
    from groundwork.promote import pullrequest
    from groundwork.promote.plan import Request, find_root, plan_promotion, write

    if open_pr and not commit:
        raise GroundworkError("--open needs --commit", "add --commit (the pull request is opened from its branch)")
    root = find_root(repo)
    plan = plan_promotion(root, Request(service, source.value, target.value, digest))
    if plan.unchanged:
        typer.echo(f"{service}: {target} already runs {plan.after.image.reference}: nothing to promote")
        return
    if dry_run:
        typer.echo(f"{service}: {target} would run {plan.after.image.reference} (from {source}); nothing written")
        typer.echo(f"{plan.display_path}:")
        for line in plan.changed_lines():
            typer.echo(f"  {line}")
        if commit:
            typer.echo(f"would commit it on branch {pullrequest.branch_name(plan)}")
        return
    base = pullrequest.ensure_committable(plan) if commit else ""
    if open_pr:
        pullrequest.require_gh()
    branch = pullrequest.create_branch(plan) if commit else ""
    write(plan)
    typer.echo(f"{service}: {target} now runs {plan.after.image.reference} (promoted from {source})")
    typer.echo(f"{plan.display_path}:")
    for line in plan.changed_lines():
        typer.echo(f"  {line}")
    if not commit:
        typer.echo(f"next: groundwork promote {service} --from {source} --to {target} --commit, or commit it yourself")
        return
    done = pullrequest.commit(plan, base, branch)
    typer.echo(f"committed {done.sha[:12]} on {done.branch} (base {done.base})")
    if not open_pr:
        typer.echo("open the pull request with:")
        typer.echo(f"  {pullrequest.printable(pullrequest.push_command(done))}")
        typer.echo(f"  {pullrequest.printable(pullrequest.gh_command(done))}")
        return
    typer.echo(pullrequest.open_pull_request(root, done))
