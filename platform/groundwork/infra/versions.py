"""The argo-cd chart pin, read from gitops/versions.yaml (`charts.argocd`), the one file that pins chart
versions. Pulumi installs exactly what the self-managing `argocd` ApplicationSet later applies."""

from pathlib import Path

import yaml

from groundwork.errors import GroundworkError
from groundwork.infra.argocd import ChartPin

VERSIONS_FILE = "gitops/versions.yaml"
ARGOCD_KEY = "argocd"


def argocd_chart(repository: Path) -> ChartPin:
    """`charts.argocd` of `repository`/gitops/versions.yaml."""
    path = repository / VERSIONS_FILE
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GroundworkError(f"{path} is missing", "restore it from the repository") from None
    entry = (document or {}).get("charts", {}).get(ARGOCD_KEY) if isinstance(document, dict) else None
    fields = ("chart", "repository", "version")
    if not isinstance(entry, dict) or not all(isinstance(entry.get(field), str) for field in fields):
        raise GroundworkError(f"{path} has no charts.{ARGOCD_KEY} with chart, repository and version", "add it")
    return ChartPin(chart=entry["chart"], repository=entry["repository"], version=entry["version"])
