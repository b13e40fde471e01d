"""`groundwork pr-comment --base REF --head REF`: the pull request comment, in Markdown."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from groundwork.errors import GroundworkError


def _report(path: Path | None, flag: str) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise GroundworkError(f"cannot read {flag} {path}", error.strerror or str(error)) from None
    except json.JSONDecodeError:
        raise GroundworkError(
            f"{flag} {path} is not JSON", "write it with 'groundwork readiness --format json > FILE'"
        ) from None


def pr_comment(
    base: Annotated[str, typer.Option("--base", help="The commit the pull request merges into (its base).")],
    head: Annotated[str, typer.Option("--head", help="The pull request's commit (GitHub's merge commit).")],
    repo: Annotated[Path, typer.Option("--repo", help="The GitOps repository (default: the current folder).")] = Path(
        "."
    ),
    readiness_base: Annotated[
        Path | None, typer.Option("--readiness-base", help="`groundwork readiness --format json` at the base.")
    ] = None,
    readiness_head: Annotated[
        Path | None, typer.Option("--readiness-head", help="The same report at the pull request.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Write the comment here instead of stdout.")] = None,
) -> None:
    """Render every app/env the pull request touches at both commits and print what changes in the clusters
    (object by object), and the readiness delta when both reports are given."""
    from groundwork.dora.git import repository_root, resolve_commit
    from groundwork.files import check_output, write_output
    from groundwork.prdiff.build import unit_diffs
    from groundwork.prdiff.comment import render_comment
    from groundwork.prdiff.readiness import readiness_delta, validate

    if (readiness_base is None) != (readiness_head is None):
        raise GroundworkError(
            "--readiness-base and --readiness-head go together", "give both reports, or neither for no readiness"
        )
    if output is not None:
        check_output(output, "--output")
    root = repository_root(repo)
    base_sha, head_sha = resolve_commit(root, base), resolve_commit(root, head)
    delta = None
    if readiness_base is not None and readiness_head is not None:
        delta = readiness_delta(
            validate(_report(readiness_base, "--readiness-base"), "--readiness-base"),
            validate(_report(readiness_head, "--readiness-head"), "--readiness-head"),
        )
    text = render_comment(unit_diffs(root, base_sha, head_sha), base_sha, head_sha, delta)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_output(output, text, "--output")
