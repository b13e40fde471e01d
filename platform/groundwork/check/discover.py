"""Find what to render: every service overlay, and every other GitOps folder (bootstrap, addons, ...)."""

from __future__ import annotations

from pathlib import Path

from groundwork.check.errors import NoGitopsTree
from groundwork.check.model import NO_ENV, Target
from groundwork.paths import APPS_DIR, GITOPS_DIR

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
YAML_SUFFIXES = (".yaml", ".yml")
OVERLAYS_DIR = "overlays"


def locate(path: Path) -> tuple[Path, Path]:
    """(root, gitops dir) for PATH: a repository holding gitops/, or a gitops tree itself."""
    path = path.expanduser()
    if not path.exists():
        raise NoGitopsTree(f"PATH {path} does not exist", "pass a repository (with gitops/) or a gitops/ folder")
    path = path.resolve()
    if not path.is_dir():
        raise NoGitopsTree(f"PATH {path} is not a folder", "pass a repository (with gitops/) or a gitops/ folder")
    if (path / GITOPS_DIR).is_dir():
        return path, path / GITOPS_DIR
    if path.name == GITOPS_DIR or (path / APPS_DIR).is_dir():
        return path.parent, path
    raise NoGitopsTree(
        f"PATH {path} holds no {GITOPS_DIR}/ folder (nor an {APPS_DIR}/ folder)",
        "pass the repository root or its gitops/ folder",
    )


def kustomization_file(folder: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def discover(gitops: Path) -> list[Target]:
    """Every target under `gitops`, in a stable order: service overlays first, then the other folders."""
    targets: list[Target] = []
    apps = gitops / APPS_DIR
    if apps.is_dir():
        for app in _subfolders(apps):
            targets += _app_targets(app)
    for top in _subfolders(gitops):
        if top.name != APPS_DIR:
            targets += _tree_targets(top.name, top, gitops)
    loose = _yaml_files(gitops)
    if loose:
        targets.append(Target(GITOPS_DIR, NO_ENV, gitops, "files", tuple(loose)))
    return targets


def _app_targets(app: Path) -> list[Target]:
    overlays = app / OVERLAYS_DIR
    found = [
        Target(app.name, env.name, env, "kustomize")
        for env in (_subfolders(overlays) if overlays.is_dir() else [])
        if kustomization_file(env) is not None
    ]
    # An app without overlays is rendered as it is, so that whatever it holds is still judged.
    if not found and kustomization_file(app) is not None:
        found.append(Target(app.name, NO_ENV, app, "kustomize"))
    return found


def _tree_targets(name: str, folder: Path, gitops: Path) -> list[Target]:
    """Kustomization folders become kustomize targets (not descended into); other YAML files are plain."""
    slug = "__".join(folder.relative_to(gitops).parts)
    if kustomization_file(folder) is not None:
        env = folder.name if folder.parent.name == OVERLAYS_DIR else NO_ENV
        return [Target(name, env, folder, "kustomize", slug=slug)]
    targets: list[Target] = []
    plain = _yaml_files(folder)
    for sub in _subfolders(folder):
        nested = _tree_targets(name, sub, gitops)
        targets += [t for t in nested if t.mode == "kustomize"]
        plain += [f for t in nested if t.mode == "files" for f in t.files]
    if plain:
        targets.insert(0, Target(name, NO_ENV, folder, "files", tuple(sorted(plain)), slug=f"{slug}__files"))
    return targets


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES and not p.name.startswith(".")
    )
