"""The services' own repositories, which this repository does not hold: checkouts the user points at
(`--service-repos DIR`, one folder per service), or each service rendered from its GitOps entry's answers
through the service template into a scratch folder for this run (what `groundwork new service` would have
created). The report says which."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from groundwork.errors import GroundworkError
from groundwork.paths import COPIER_FILE, TEMPLATES_DIR, find_template_root
from groundwork.readiness.entries import Entry
from groundwork.readiness.probes import RUNTIME_SOURCE
from groundwork.scaffold import ServiceAnswers, render

SERVICE_TEMPLATE = "service"
# The service template's folder per stack (copier.yml's `stack` question picks one).
STACK_TEMPLATES = ("service", "service-node")


@dataclass(frozen=True)
class ServiceRepos:
    paths: Mapping[str, Path]
    rendered: bool
    description: str
    labels: Mapping[str, str]  # service -> how its files are named in messages
    # groundwork-runtime's source, read with a service that depends on it (None: not in this checkout)
    runtime: Path | None = None

    def shown(self, service: str, file: Path) -> str:
        """`file` of `service`'s repository (or of the runtime it depends on) as messages name it."""
        if self.runtime is not None and file.is_relative_to(self.runtime):
            return f"groundwork-runtime/{file.relative_to(self.runtime).as_posix()}"
        relative = file.relative_to(self.paths[service]).as_posix()
        return f"{self.labels[service]}/{relative}"


def checkouts(directory: Path, entries: Sequence[Entry]) -> ServiceRepos:
    """`directory/<service>` for every service; a missing one stops the report."""
    if not directory.is_dir():
        raise GroundworkError(f"--service-repos {directory} is not a folder", "pass the folder holding the checkouts")
    paths: dict[str, Path] = {}
    for entry in entries:
        path = directory / entry.name
        if not path.is_dir():
            raise GroundworkError(
                f"--service-repos {directory} has no checkout of service '{entry.name}'",
                f"clone its repository as {path}, or leave --service-repos out to render the services",
            )
        paths[entry.name] = path.resolve()
    labels = {name: str(directory / name) for name in paths}
    return ServiceRepos(paths, False, f"checkouts in {directory} (--service-repos)", labels, _runtime_source())


def rendered(root: Path, entries: Sequence[Entry], scratch: Path, template: Path | None = None) -> ServiceRepos:
    """Render each service from `gitops/apps/<service>/.copier-answers.yml` through the service template of
    `template` (default: this repository when it holds the templates, else the installed groundwork's)."""
    source = template or _template_root(root)
    # Copier renders a plain folder as it is (no clone): the template's working tree, quickly.
    copy = scratch / "template"
    copy.mkdir(parents=True)
    shutil.copy2(source / COPIER_FILE, copy / COPIER_FILE)
    for folder in STACK_TEMPLATES:
        if (source / TEMPLATES_DIR / folder).is_dir():
            shutil.copytree(source / TEMPLATES_DIR / folder, copy / TEMPLATES_DIR / folder)
    paths: dict[str, Path] = {}
    labels: dict[str, str] = {}
    for entry in entries:
        answers = _service_answers(entry)
        paths[entry.name] = render(str(copy), SERVICE_TEMPLATE, answers.as_data(), scratch / "repos" / entry.name)
        org = str(entry.answer("gitops_repo") or "acme/platform").split("/")[0]
        labels[entry.name] = f"{org}/{entry.name} (rendered)"
    description = (
        f"rendered from gitops/apps/<service>/.copier-answers.yml through {TEMPLATES_DIR}/{SERVICE_TEMPLATE} of "
        f"{source} (pass --service-repos DIR to judge real checkouts)"
    )
    return ServiceRepos(paths, True, description, labels, _runtime_source(source))


def _template_root(root: Path) -> Path:
    if (root / COPIER_FILE).is_file() and (root / TEMPLATES_DIR / SERVICE_TEMPLATE).is_dir():
        return root
    return find_template_root()


def _service_answers(entry: Entry) -> ServiceAnswers:
    known = {field.name for field in fields(ServiceAnswers)} - {"downstreams"}
    data = {key: value for key, value in entry.answers.items() if key in known}
    downstreams = entry.answer("downstreams") or []
    if not isinstance(downstreams, list):
        raise GroundworkError(f"{entry.answer_where('downstreams')}: downstreams is not a list", "re-render the entry")
    try:
        return ServiceAnswers(**data, downstreams=tuple(str(d) for d in downstreams))
    except TypeError as error:
        raise GroundworkError(f"{entry.answers_doc.shown}: {error}", "re-render it with 'copier update'") from None


def _runtime_source(template: Path | None = None) -> Path | None:
    """groundwork-runtime's source in the groundwork checkout (of `template`, else this package's), if any."""
    try:
        root = template or find_template_root()
    except GroundworkError:
        return None
    folder = root / RUNTIME_SOURCE
    return folder.resolve() if folder.is_dir() else None
