"""Render groundwork's Copier templates. Pure over the file system: no prompts, no printing."""

import contextlib
import io
import re
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import copier
from copier.errors import CopierWarning

from groundwork.errors import DestinationExists, GroundworkError, InvalidAnswer, last_line

_COPIER_VALIDATION = re.compile(r"^Validation error for question '(?P<question>[^']+)': (?P<message>.*)$", re.S)
_COPIER_CHOICE = re.compile(r"^Invalid choice for '(?P<question>[^']+)': (?P<message>.*)$", re.S)


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
    stack: str | None = None
    database: str | None = None
    events: str | None = None
    publishes: tuple[str, ...] | None = None
    consumes: tuple[str, ...] = field(default=())

    def as_data(self) -> dict[str, object]:
        data = {key: value for key, value in asdict(self).items() if value is not None}
        data["downstreams"] = list(self.downstreams)
        if self.publishes is not None:
            data["publishes"] = list(self.publishes)
        data["consumes"] = list(self.consumes)
        return data


@dataclass(frozen=True)
class DeployAnswers:
    """The deploy template's own answers (its GitOps entry); None means the template default."""

    consumers: tuple[str, ...] = field(default=())
    expose: bool | None = None
    database_cluster: bool | None = None
    public_host: str | None = None
    image_tag: str | None = None
    image_digest: str | None = None
    slo_availability_target: float | None = None
    slo_latency_threshold_ms: int | None = None
    slo_latency_target: float | None = None

    def as_data(self) -> dict[str, object]:
        data = {key: value for key, value in asdict(self).items() if value is not None}
        data["consumers"] = list(self.consumers)
        return data


@dataclass(frozen=True)
class RenderJob:
    """One template folder rendered with `data` into `dest`."""

    template_name: str
    data: Mapping[str, object]
    dest: Path


def render(
    template: str, template_name: str, data: Mapping[str, object], dest: Path, vcs_ref: str | None = None
) -> Path:
    """Render `templates/<template_name>` of `template` into `dest`, all or nothing."""
    return render_all(template, [RenderJob(template_name, data, dest)], vcs_ref=vcs_ref)[0]


def render_all(template: str, jobs: Sequence[RenderJob], vcs_ref: str | None = None) -> list[Path]:
    """Render several template folders, all or nothing.

    Each project is rendered into a scratch folder and moved into place (parents created) only when
    every render succeeded, so a refused answer never leaves a half-written project behind. Answers are
    judged (by rendering) before destinations: a bad name must be reported as such, not as the folder it
    would have made.
    """
    with staged(template, jobs, vcs_ref) as projects:
        return projects.commit()


@dataclass
class Staged:
    """Projects rendered into scratch folders, not yet in place: `commit` moves them to their destinations."""

    jobs: Sequence[RenderJob]
    scratch: list[Path]

    @property
    def dests(self) -> list[Path]:
        return [job.dest.resolve() for job in self.jobs]

    def check_destinations(self) -> None:
        for dest in self.dests:
            if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
                raise DestinationExists(
                    f"{dest} already exists and is not empty", "choose another --dest or remove it first"
                )

    def commit(self) -> list[Path]:
        self.check_destinations()
        for source, dest in zip(self.scratch, self.dests, strict=True):
            if dest.exists():
                dest.rmdir()
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, dest)
        return self.dests


@contextlib.contextmanager
def staged(template: str, jobs: Sequence[RenderJob], vcs_ref: str | None = None) -> Iterator[Staged]:
    """Render every job into a scratch folder (answers judged); the folders are gone when the block ends."""
    with contextlib.ExitStack() as scratch_dirs:
        projects: list[Path] = []
        for job in jobs:
            scratch = scratch_dirs.enter_context(tempfile.TemporaryDirectory(prefix="groundwork-render-"))
            projects.append(_copy(template, job.template_name, job.data, Path(scratch) / "project", vcs_ref))
        yield Staged(jobs, projects)


def _copy(template: str, template_name: str, data: Mapping[str, object], dest: Path, vcs_ref: str | None) -> Path:
    # Copier prints notices ("no git tags", "dirty template") to stderr; the caller reports outcomes.
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore", CopierWarning)
            copier.run_copy(
                template,
                dest,
                data={"template": template_name, **data},
                defaults=True,
                quiet=True,
                unsafe=False,
                vcs_ref=vcs_ref,
            )
    except ValueError as error:
        raise _answer_error(error) from None
    return dest


def lock_dependencies(project: Path) -> None:
    """Write the generated project's uv.lock, which its Dockerfile and CI install from (`--locked`). A Node
    project needs nothing: the template ships its package-lock.json, pinned in one place, templates/service-node/."""
    if not (project / "pyproject.toml").is_file():
        return
    uv = shutil.which("uv")
    if uv is None:
        raise GroundworkError(
            "uv is not installed, so the new project has no uv.lock",
            "install uv (https://docs.astral.sh/uv/) and run 'uv lock' in the project",
        )
    result = subprocess.run([uv, "lock", "--quiet"], cwd=project, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = last_line(result.stderr)
        if "groundwork-runtime" in result.stderr:
            raise GroundworkError(
                f"'uv lock' failed in {project}: groundwork-runtime is not on the package index this uv reads",
                "publish it (runtime/README.md), or build it with 'uv build runtime --out-dir DIR' in the groundwork"
                " checkout and run 'UV_FIND_LINKS=DIR uv lock' there",
            )
        raise GroundworkError(
            f"'uv lock' failed in {project}: {last}", "fix the dependency problem, then run 'uv lock' there"
        )


def _answer_error(error: ValueError) -> GroundworkError:
    match = _COPIER_VALIDATION.match(str(error))
    if match:
        return InvalidAnswer(match["message"].strip(), question=match["question"])
    match = _COPIER_CHOICE.match(str(error))
    if match:
        return InvalidAnswer(f"{match['question']}: {match['message'].strip()}", question=match["question"])
    return InvalidAnswer(str(error).strip().splitlines()[0] if str(error).strip() else repr(error))
