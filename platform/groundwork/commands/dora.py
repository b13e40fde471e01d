"""`groundwork dora [--since] [--until] [--format table|json]`: the DORA figures from the GitOps history."""

from pathlib import Path
from typing import Annotated

import typer

from groundwork.choices import DoraFormat
from groundwork.errors import GroundworkError


def dora(
    since: Annotated[
        str | None, typer.Option("--since", help="Start of the window: 2026-03-01, a date-time, or 30d / 12w ago.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="End of the window (default: now), same forms.")] = None,
    output: Annotated[DoraFormat, typer.Option("--format", help="How to print the figures.")] = DoraFormat.TABLE,
    ref: Annotated[str, typer.Option("--ref", help="The branch Argo CD syncs (default: HEAD).")] = "HEAD",
    repo: Annotated[Path, typer.Option("--repo", help="The GitOps repository (default: the current folder).")] = Path(
        "."
    ),
) -> None:
    """Deployment frequency, lead time, change failure rate and time to restore, per service and environment,
    from the first-parent history of gitops/apps/*/overlays/*/kustomization.yaml."""
    from datetime import UTC, datetime

    from groundwork.dora.events import classify
    from groundwork.dora.figures import Window, per_group
    from groundwork.dora.git import repository_root, resolve_commit
    from groundwork.dora.history import read_changes
    from groundwork.dora.report import render_json, render_table
    from groundwork.dora.timespec import parse_moment

    root = repository_root(repo)
    resolve_commit(root, ref)
    now = datetime.now(UTC)
    end = parse_moment("--until", until, now) if until else now
    changes = read_changes(root, ref)
    if since:
        start = parse_moment("--since", since, now)
    elif changes:
        start = changes[0].merged_at
    else:
        start = end
    if start > end:
        raise GroundworkError(f"--since {since} is after --until {until or 'now'}", "give a window that moves forward")
    window = Window(start, end)
    rows = per_group(classify(changes), window)
    typer.echo(render_json(rows, window, ref) if output is DoraFormat.JSON else render_table(rows, window, ref))
