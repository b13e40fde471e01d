"""gitops/versions.yaml: every Helm chart groundwork installs, pinned once to an exact version.

The ApplicationSets under gitops/bootstrap read the file at generation time (`{{ .charts.<key>.version }}`),
Renovate bumps it, and the Pulumi infrastructure installs the argo-cd chart at `charts.argocd`, the version
the self-managing `argocd` ApplicationSet then keeps applying.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from groundwork.errors import GroundworkError
from groundwork.paths import GITOPS_DIR

VERSIONS_FILE = "versions.yaml"
ARGOCD_KEY = "argocd"
CHART_FIELDS = ("chart", "repository", "version")
# An exact release, never a range: 1.2.3 (a pre-release suffix such as -rc.1 is allowed, a 'v' prefix is not).
EXACT_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")
KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class InvalidVersionsFile(GroundworkError):
    """gitops/versions.yaml is missing, unreadable or does not pin every chart exactly."""


@dataclass(frozen=True)
class ChartPin:
    """One Helm chart from one repository at one exact version; `key` is its entry under `charts`."""

    key: str
    chart: str
    repository: str
    version: str


def versions_file(repository: Path) -> Path:
    """Where the pins live in a checkout rooted at `repository`."""
    return repository / GITOPS_DIR / VERSIONS_FILE


def load_pins(path: Path) -> dict[str, ChartPin]:
    """Every pin of `path`, by key, in file order; any defect raises InvalidVersionsFile naming it."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidVersionsFile(f"{path} is missing", "restore it from the repository") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidVersionsFile(f"{path} cannot be read ({error})", "check the file") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidVersionsFile(f"{path} is not valid YAML{where}", "fix the YAML syntax") from None
    charts = document.get("charts") if isinstance(document, dict) else None
    if not isinstance(charts, dict) or not charts:
        raise InvalidVersionsFile(f"{path} has no 'charts' mapping", "list the charts under a top-level 'charts:' key")
    return {str(key): _pin(path, key, entry) for key, entry in charts.items()}


def chart_pin(repository: Path, key: str) -> ChartPin:
    """The pin `charts.<key>` of the checkout rooted at `repository`."""
    path = versions_file(repository)
    pins = load_pins(path)
    if key not in pins:
        raise InvalidVersionsFile(f"{path} pins no chart '{key}'", f"add charts.{key} with chart, repository, version")
    return pins[key]


def argocd_pin(repository: Path) -> ChartPin:
    """The argo-cd chart the infrastructure installs and Argo CD then manages itself with."""
    return chart_pin(repository, ARGOCD_KEY)


def _pin(path: Path, key: object, entry: object) -> ChartPin:
    where = f"{path}: charts.{key}"
    if not isinstance(key, str) or not KEY.match(key):
        raise InvalidVersionsFile(f"{where} is not a snake_case key", "use lowercase letters, digits and '_'")
    if not isinstance(entry, dict):
        raise InvalidVersionsFile(f"{where} is not a mapping", "give it chart, repository and version")
    for field in CHART_FIELDS:
        value = entry.get(field)
        if not isinstance(value, str) or not value.strip():
            raise InvalidVersionsFile(
                f"{where}.{field} is missing or not a string", f'set {field} (quote the version: "1.2.3")'
            )
    unknown = sorted(set(entry) - set(CHART_FIELDS))
    if unknown:
        raise InvalidVersionsFile(f"{where} has unknown field(s) {', '.join(map(str, unknown))}", "remove them")
    if not EXACT_VERSION.match(entry["version"]):
        raise InvalidVersionsFile(
            f"{where}.version '{entry['version']}' is not an exact version",
            "pin one release such as \"1.2.3\" (no range, no wildcard, no 'v' prefix)",
        )
    if not entry["repository"].startswith("https://"):
        raise InvalidVersionsFile(f"{where}.repository '{entry['repository']}' is not an https URL", "use https://")
    return ChartPin(key=key, chart=entry["chart"], repository=entry["repository"], version=entry["version"])
