"""The demo fleet on kind: build every service under gitops/apps from the service template and load the images
into the cluster under the exact names the dev overlays deploy, so the Pods start instead of ImagePullBackOff.

For each `gitops/apps/<service>/`, the deploy template's answers (`.copier-answers.yml`) hold the service's
own answers (name, team, domain, port, downstreams, registry); rendering the *service* template with them
gives the code the Deployment expects (its `/v1/chain` calls the declared downstreams, so one request through
the gateway makes one trace across the fleet). The image reference is the dev overlay's `images` entry
(`<registry>/<service>:<tag>`, moved by CI), falling back to the answers' `image_tag`.
"""

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from groundwork.errors import GroundworkError
from groundwork.paths import ANSWERS_FILE, APPS_DIR, ENVIRONMENTS, GITOPS_DIR, KUSTOMIZATION, OVERLAYS_DIR
from groundwork.scaffold import ServiceAnswers, lock_dependencies, render

DEV_OVERLAY = Path(OVERLAYS_DIR) / ENVIRONMENTS[0] / KUSTOMIZATION

# Runs one command (argv) in a folder; raises GroundworkError when it fails.
CommandRunner = Callable[[Sequence[str], Path | None], None]


@dataclass(frozen=True)
class FleetService:
    """One service of gitops/apps: its template answers and the image its dev overlay runs."""

    name: str
    answers: ServiceAnswers
    image: str
    public_host: str | None = None


def discover_fleet(repository: Path) -> list[FleetService]:
    """Every `gitops/apps/<service>/` that has deploy answers, sorted by name."""
    apps = repository / GITOPS_DIR / APPS_DIR
    if not apps.is_dir():
        return []
    return [_service(folder) for folder in sorted(apps.iterdir()) if (folder / ANSWERS_FILE).is_file()]


def _service(folder: Path) -> FleetService:
    answers_file = folder / ANSWERS_FILE
    try:
        answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        raise GroundworkError(f"{answers_file} is not valid YAML", "re-render it with 'copier update'") from None
    if not isinstance(answers, dict) or not isinstance(answers.get("service_name"), str):
        raise GroundworkError(f"{answers_file} has no service_name", "re-render it with 'copier update'")
    known = {field.name for field in fields(ServiceAnswers)}
    service_answers = ServiceAnswers(
        **{key: value for key, value in answers.items() if key in known and key != "downstreams"},
        downstreams=tuple(answers.get("downstreams") or ()),
    )
    host = answers.get("public_host") if answers.get("expose") else None
    return FleetService(
        name=answers["service_name"],
        answers=service_answers,
        image=_dev_image(folder, answers),
        public_host=str(host) if host else None,
    )


def _dev_image(folder: Path, answers: dict[str, object]) -> str:
    """`<name>:<tag>` of the dev overlay's images entry for this service's image."""
    registry = str(answers.get("container_registry") or "")
    name = f"{registry}/{answers['service_name']}" if registry else str(answers["service_name"])
    tag = str(answers.get("image_tag") or "")
    overlay = folder / DEV_OVERLAY
    if overlay.is_file():
        document = yaml.safe_load(overlay.read_text(encoding="utf-8")) or {}
        for entry in document.get("images") or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                name = str(entry.get("newName") or name)
                tag = str(entry.get("newTag") or tag)
    if not tag:
        raise GroundworkError(f"{folder}: no dev image tag", f"set images[].newTag for {name} in {overlay}")
    return f"{name}:{tag}"


def build_images(
    services: Sequence[FleetService],
    template_root: Path,
    workdir: Path,
    run: CommandRunner,
    lock: Callable[[Path], None] = lock_dependencies,
) -> list[str]:
    """Render each service from the service template into `workdir/<service>`, lock it and `docker build` it
    under its dev image name; return the image names."""
    # The checkout as it is (HEAD plus uncommitted changes), not Copier's default of the latest release tag.
    vcs_ref = "HEAD" if (template_root / ".git").exists() else None
    images: list[str] = []
    for service in services:
        project = workdir / service.name
        if project.exists():
            shutil.rmtree(project)
        render(str(template_root), "service", service.answers.as_data(), project, vcs_ref=vcs_ref)
        lock(project)
        run(["docker", "build", "--tag", service.image, str(project)], None)
        images.append(service.image)
    return images


def load_images(images: Sequence[str], cluster: str, run: CommandRunner) -> None:
    """Copy the built images into every node of the kind cluster (`kind load docker-image`)."""
    if images:
        run(["kind", "load", "docker-image", "--name", cluster, *images], None)
