"""Validate a promotion against the GitOps tree and compute the target overlay's new text (nothing is written).

Rules: both environments exist and differ, promotions only go forward (dev -> staging -> prod), the source
overlay runs its image by digest, `--digest` (optional) is that digest, and the target overlay exists. The
target's digest, newTag and version label then become the source's, so tag, digest and version stay one
release; every other byte of the file is kept.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import yaml

from groundwork.errors import GroundworkError
from groundwork.paths import ANSWERS_FILE, APPS_DIR, ENVIRONMENTS, GITOPS_DIR, KUSTOMIZATION, OVERLAYS_DIR
from groundwork.promote import overlay
from groundwork.promote.overlay import DIGEST, Image, Release


class PromotionRefused(GroundworkError):
    """The request cannot be carried out as asked."""


@dataclass(frozen=True)
class Request:
    service: str
    source: str
    target: str
    digest: str | None = None


@dataclass(frozen=True)
class Plan:
    """A validated promotion: what the target ran, what it will run, and the file's text before and after."""

    root: Path
    service: str
    source: str
    target: str
    source_path: Path
    path: Path
    before: Release
    after: Release
    old_text: str
    new_text: str

    @property
    def display_path(self) -> str:
        return self.path.relative_to(self.root).as_posix()

    @property
    def unchanged(self) -> bool:
        return self.old_text == self.new_text

    def changed_lines(self) -> list[str]:
        """The removed (`-`) and added (`+`) lines, in file order."""
        diff = difflib.unified_diff(self.old_text.splitlines(), self.new_text.splitlines(), lineterm="", n=0)
        return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def find_root(start: Path) -> Path:
    """The repository holding gitops/apps/, searched upwards from `start`."""
    here = start.expanduser().resolve()
    for candidate in [here, *here.parents]:
        if (candidate / GITOPS_DIR / APPS_DIR).is_dir():
            return candidate
    raise PromotionRefused(
        f"no {GITOPS_DIR}/{APPS_DIR}/ folder in {here} or above", "run it in the GitOps repository or pass --repo"
    )


def services(root: Path) -> list[str]:
    apps = root / GITOPS_DIR / APPS_DIR
    return sorted(p.name for p in apps.iterdir() if p.is_dir() and (p / OVERLAYS_DIR).is_dir())


def image_name(app: Path, service: str, source_document: object) -> str:
    """The image the service's Deployment names: `<container_registry>/<service_name>` from the deploy answers,
    else the overlay's only images entry."""
    answers_path = app / ANSWERS_FILE
    if answers_path.is_file():
        try:
            answers = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            answers = None
        if isinstance(answers, dict) and answers.get("container_registry"):
            return f"{answers['container_registry']}/{answers.get('service_name') or service}"
    images = source_document.get("images") if isinstance(source_document, dict) else None
    names = [e.get("name") for e in images or [] if isinstance(e, dict) and isinstance(e.get("name"), str)]
    if len(names) == 1:
        return str(names[0])
    raise PromotionRefused(
        f"cannot tell which image {service} runs: no {ANSWERS_FILE} in {app} and {len(names)} images entries",
        f"restore gitops/apps/{service}/{ANSWERS_FILE} (copier update writes it)",
    )


def _check_request(root: Path, request: Request) -> Path:
    for flag, env in (("--from", request.source), ("--to", request.target)):
        if env not in ENVIRONMENTS:
            raise PromotionRefused(f"{flag} '{env}' is not an environment", f"use one of {', '.join(ENVIRONMENTS)}")
    if request.source == request.target:
        raise PromotionRefused(
            f"--from and --to are both '{request.source}'",
            "promote to the next environment, e.g. --from dev --to staging",
        )
    if ENVIRONMENTS.index(request.target) < ENVIRONMENTS.index(request.source):
        raise PromotionRefused(
            f"--from {request.source} --to {request.target} goes backwards",
            "promotions go dev -> staging -> prod; roll an environment back by reverting its promotion pull request",
        )
    if request.digest is not None and not DIGEST.match(request.digest):
        raise PromotionRefused(
            f"--digest '{request.digest}' is not an image digest", "write sha256: followed by 64 lowercase hex digits"
        )
    app = root / GITOPS_DIR / APPS_DIR / request.service
    if not request.service or not (app / OVERLAYS_DIR).is_dir():
        known = services(root)
        raise PromotionRefused(
            f"unknown service '{request.service}': no {GITOPS_DIR}/{APPS_DIR}/{request.service}/{OVERLAYS_DIR}/",
            f"use one of {', '.join(known)}" if known else "render one first with 'groundwork new service'",
        )
    return app


def plan_promotion(root: Path, request: Request) -> Plan:
    app = _check_request(root, request)
    service, source, target = request.service, request.source, request.target
    source_path = app / OVERLAYS_DIR / source / KUSTOMIZATION
    target_path = app / OVERLAYS_DIR / target / KUSTOMIZATION
    rel = f"{GITOPS_DIR}/{APPS_DIR}/{service}/{OVERLAYS_DIR}"
    if not source_path.is_file():
        raise PromotionRefused(
            f"{service} has no {source} overlay ({rel}/{source}/{KUSTOMIZATION})",
            f"promote from an environment {service} runs in",
        )
    source_document = overlay.load(source_path, f"{rel}/{source}/{KUSTOMIZATION}")
    name = image_name(app, service, source_document)
    running = overlay.read_release(source_document, name, f"{rel}/{source}/{KUSTOMIZATION}")
    digest = running.image.digest
    if not digest:
        raise PromotionRefused(
            f"{source} runs {running.image.reference} by tag only, with no digest",
            f"promote an image CI built: merge its deploy pull request to {source} first (it pins the digest)",
        )
    if not DIGEST.match(digest):
        raise PromotionRefused(
            f"{source}'s digest '{digest}' is not sha256:<64 hex digits>", f"fix {rel}/{source}/{KUSTOMIZATION}"
        )
    if request.digest is not None and request.digest != digest:
        raise PromotionRefused(
            f"--digest {request.digest} is not running in {source} (it runs {digest})",
            f"promote what {source} runs, or deploy that image to {source} first",
        )
    if not target_path.is_file():
        tag = running.image.new_tag or "<tag>"
        raise PromotionRefused(
            f"{service} has no {target} overlay yet (unreleased: its deploy answers have no image_digest)",
            f"create it with 'cd {GITOPS_DIR}/{APPS_DIR}/{service} && copier update --defaults "
            f"--data image_tag={tag} --data image_digest={digest}' (it renders staging and prod together, both on "
            "that image)",
        )
    display = f"{rel}/{target}/{KUSTOMIZATION}"
    document = overlay.load(target_path, display)
    before = overlay.read_release(document, name, display)
    after = Release(
        Image(name=name, new_name=running.image.repository, new_tag=running.image.new_tag, digest=digest),
        running.version or running.image.new_tag,
    )
    overlay.write_release(document, name, after, display)
    old_text = target_path.read_text(encoding="utf-8")
    return Plan(
        root, service, source, target, source_path, target_path, before, after, old_text, overlay.dump(document)
    )


def write(plan: Plan) -> None:
    """Replace the target file in one rename, so a failure never leaves it half-written."""
    temporary = plan.path.with_name(f".{plan.path.name}.promote")
    temporary.write_text(plan.new_text, encoding="utf-8")
    temporary.replace(plan.path)
