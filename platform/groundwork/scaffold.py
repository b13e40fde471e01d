"""Render groundwork's Copier templates. Pure over the file system: no prompts, no printing."""

import contextlib
import io
import re
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import copier
from copier.errors import CopierWarning

from groundwork.errors import DestinationExists, GroundworkError, InvalidAnswer

_COPIER_VALIDATION = re.compile(r"^Validation error for question '(?P<question>[^']+)': (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class ServiceAnswers:
    """The answers `groundwork new service` passes to the templates; None means the template default."""

    service_name: str
    owner_team: str
    domain: str
    description: str | None = None
    http_port: int | None = None
    downstreams: tuple[str, ...] = field(default=())
    container_registry: str | None = None
    gitops_repo: str | None = None

    def as_data(self) -> dict[str, object]:
        data = {key: value for key, value in asdict(self).items() if value is not None}
        data["downstreams"] = list(self.downstreams)
        return data


def render(
    template: str, template_name: str, data: Mapping[str, object], dest: Path, vcs_ref: str | None = None
) -> Path:
    """Render `templates/<template_name>` of `template` into `dest`, all or nothing.

    The project is rendered into a scratch folder beside `dest` and moved into place only when Copier
    succeeded, so a refused answer never leaves a half-written project behind.
    """
    dest = dest.resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DestinationExists(f"{dest} already exists and is not empty", "choose another --dest or remove it first")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{dest.name}-", dir=dest.parent) as scratch:
        staged = Path(scratch) / dest.name
        # Copier prints notices ("no git tags", "dirty template") to stderr; the caller reports outcomes.
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore", CopierWarning)
                copier.run_copy(
                    template,
                    staged,
                    data={"template": template_name, **data},
                    defaults=True,
                    quiet=True,
                    unsafe=False,
                    vcs_ref=vcs_ref,
                )
        except ValueError as error:
            raise _answer_error(error) from None
        if dest.exists():
            dest.rmdir()
        shutil.move(staged, dest)
    return dest


def lock_dependencies(project: Path) -> None:
    """Write the generated project's uv.lock, which its Dockerfile and CI install from (`--locked`)."""
    uv = shutil.which("uv")
    if uv is None:
        raise GroundworkError(
            "uv is not installed, so the new project has no uv.lock",
            "install uv (https://docs.astral.sh/uv/) and run 'uv lock' in the project",
        )
    result = subprocess.run([uv, "lock", "--quiet"], cwd=project, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise GroundworkError(
            f"'uv lock' failed in {project}: {last}", "fix the dependency problem, then run 'uv lock' there"
        )


def _answer_error(error: ValueError) -> GroundworkError:
    match = _COPIER_VALIDATION.match(str(error))
    if match:
        return InvalidAnswer(match["message"].strip(), question=match["question"])
    return InvalidAnswer(str(error).strip().splitlines()[0] if str(error).strip() else repr(error))
