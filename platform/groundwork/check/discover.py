"""Find what to render: every service overlay, and every other GitOps folder (bootstrap, addons, ...)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from groundwork.check.errors import NoGitopsTree
from groundwork.check.model import NO_ENV, Target
from groundwork.paths import APPS_DIR, ENVIRONMENTS, GITOPS_DIR, KUSTOMIZATION, OVERLAYS_DIR

KUSTOMIZATION_FILES = (KUSTOMIZATION, "kustomization.yml", "Kustomization")
YAML_SUFFIXES = (".yaml", ".yml")

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Kustomizations parsed in this gate run, by file, and the paths each uses, by folder: every overlay of an app
# reaches the same base, and the incremental gate, the unreached-file rule and the renderer all walk the same
# graph. `discover()` empties them when a run starts (a file may have changed since the last run).
_parsed: dict[Path, object] = {}
_references: dict[Path, frozenset[Path]] = {}
_real: dict[str, str] = {}


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
    """Every target under `gitops`, in a stable order: service overlays first, then the other folders. It
    starts every use of the tree (a gate run, a pull-request diff), so it forgets what earlier ones read."""
    _forget_reads()
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
        Target(app.name, env.name, env, "kustomize", service=True)
        for env in (_subfolders(overlays) if overlays.is_dir() else [])
        if kustomization_file(env) is not None
    ]
    # An app without overlays is rendered as it is, so that whatever it holds is still judged.
    if not found and kustomization_file(app) is not None:
        found.append(Target(app.name, NO_ENV, app, "kustomize", service=True))
    return found


def _tree_targets(name: str, top: Path, gitops: Path) -> list[Target]:
    """Targets of a folder other than apps/ (bootstrap, addons, ...).

    Every kustomization folder that no other kustomization of the tree uses (as a resource, base or component)
    is rendered on its own: it is what an Argo CD Application points at. YAML files that no kustomization uses
    are read as they are, all together as one target.
    """
    folders = [top, *sorted(p for p in top.rglob("*") if p.is_dir() and not _hidden(p, top))]
    kustomized = {folder for folder in folders if kustomization_file(folder) is not None}
    used: set[Path] = set()
    for folder in kustomized:
        used |= references(folder)
    # A kustomize Component cannot be built on its own: it is judged inside every overlay that uses it.
    components = {folder for folder in kustomized if _is_component(folder)}
    targets: list[Target] = []
    for folder in sorted(kustomized - used - components):
        slug = "__".join(folder.relative_to(gitops).parts)
        env = folder.name if folder.name in ENVIRONMENTS or folder.parent.name == OVERLAYS_DIR else NO_ENV
        targets.append(Target(name, env, folder, "kustomize", slug=slug))
    plain = sorted(
        file
        for folder in folders
        if folder not in kustomized
        for file in _yaml_files(folder)
        if resolved(file) not in used
    )
    if plain:
        targets.insert(0, Target(name, NO_ENV, top, "files", tuple(plain), slug=f"{name}__files"))
    return targets


def _is_component(folder: Path) -> bool:
    content = load_kustomization(folder)
    return isinstance(content, dict) and content.get("kind") == "Component"


def _forget_reads() -> None:
    """Forget the kustomizations read so far: a gate run starts, and files may have changed since the last."""
    _parsed.clear()
    _references.clear()
    _real.clear()


def resolved(path: Path) -> Path:
    """`path.resolve()` (symlinks followed, `..` applied after them, missing parts kept as written), with every
    folder on the way resolved once per run: the gate resolves tens of thousands of paths under a few folders."""
    return Path(_real_path(str(path) if path.is_absolute() else os.path.join(os.getcwd(), path)))


def _real_path(path: str) -> str:
    if path not in _real:
        head, tail = os.path.split(path)
        if not tail or head == path:
            _real[path] = os.path.realpath(path)
        else:
            base = _real_path(head)
            if tail == os.pardir:
                _real[path] = os.path.dirname(base)
            elif tail == os.curdir:
                _real[path] = base
            else:
                joined = os.path.join(base, tail)
                _real[path] = os.path.realpath(joined) if os.path.islink(joined) else joined
    return _real[path]


def load_kustomization(folder: Path) -> object:
    """The parsed kustomization of `folder` (None when there is none or it is not YAML), read once per run.
    Callers must not change what it returns."""
    file = kustomization_file(folder)
    if file is None:
        return None
    if file not in _parsed:
        try:
            _parsed[file] = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            _parsed[file] = None  # rendering reports the broken kustomization
    return _parsed[file]


def references(folder: Path) -> frozenset[Path]:
    """Local paths (folders and files) a kustomization uses: resources, bases, components, patches, generators."""
    if folder not in _references:
        _references[folder] = _references_of(folder)
    return _references[folder]


def _references_of(folder: Path) -> frozenset[Path]:
    content = load_kustomization(folder)
    if not isinstance(content, dict):
        return frozenset()
    entries: list[str] = []
    for key in ("resources", "bases", "components", "patchesStrategicMerge", "crds"):
        entries += [e for e in content.get(key) or [] if isinstance(e, str)]
    for key in ("patches", "patchesJson6902", "replacements"):
        entries += [e["path"] for e in content.get(key) or [] if isinstance(e, dict) and isinstance(e.get("path"), str)]
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in content.get(key) or []:
            if isinstance(generator, dict):
                entries += [f.split("=", 1)[-1] for f in generator.get("files") or [] if isinstance(f, str)]
    return frozenset(
        resolved(folder / entry) for entry in entries if "://" not in entry and not entry.startswith("github.com/")
    )


def _hidden(path: Path, top: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(top).parts)


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES and not p.name.startswith(".")
    )
