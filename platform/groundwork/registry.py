"""Register a new service's GitOps entry where the platform repository lists its services.

Two files name every service: the root `catalog-info.yaml` (a Backstage Location whose targets include each
`gitops/apps/<service>/catalog-info.yaml`) and `.github/CODEOWNERS` (one line per entry, its owning team).
`groundwork new service` adds both lines, so a new service is owned and catalogued from its first commit.
"""

from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from groundwork.errors import GroundworkError
from groundwork.paths import APPS_DIR, CATALOG_FILE, GITOPS_DIR

CODEOWNERS = Path(".github") / "CODEOWNERS"


@dataclass(frozen=True)
class Registration:
    """What registering a service changed (paths relative to the repository root)."""

    changed: tuple[str, ...]


def register_service(repo_root: Path, service: str, owner_team: str, github_org: str) -> Registration:
    """Add the service's catalog target and CODEOWNERS line if they are missing (idempotent)."""
    changed: list[str] = []
    if _add_catalog_target(repo_root / CATALOG_FILE, f"./{GITOPS_DIR}/{APPS_DIR}/{service}/{CATALOG_FILE}"):
        changed.append(CATALOG_FILE)
    if _add_codeowners_line(
        repo_root / CODEOWNERS, f"/{GITOPS_DIR}/{APPS_DIR}/{service}/", f"@{github_org}/{owner_team}"
    ):
        changed.append(str(CODEOWNERS))
    return Registration(tuple(changed))


def _add_catalog_target(location: Path, target: str) -> bool:
    if not location.is_file():
        return False
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    document = yaml.load(location.read_text(encoding="utf-8"))
    spec = document.get("spec") if isinstance(document, CommentedMap) else None
    targets = spec.get("targets") if isinstance(spec, CommentedMap) else None
    if not isinstance(targets, CommentedSeq):
        raise GroundworkError(
            f"{location}: no spec.targets list in the Location", "restore the root catalog-info.yaml's spec.targets"
        )
    if target in targets:
        return False
    targets.append(target)
    with location.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
    return True


def _add_codeowners_line(codeowners: Path, path: str, owner: str) -> bool:
    if not codeowners.is_file():
        return False
    text = codeowners.read_text(encoding="utf-8")
    if any(line.split()[:1] == [path] for line in text.splitlines()):
        return False
    codeowners.write_text(text.rstrip("\n") + f"\n{path:<32}{owner}\n", encoding="utf-8")
    return True
