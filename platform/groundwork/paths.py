"""Where things live in a groundwork checkout. Folder and file names are constants here and nowhere else
(tests/test_one_place.py fails on a second spelling under platform/groundwork)."""

import os
from pathlib import Path

from groundwork.errors import TemplateNotFound

# The repository root.
TEMPLATES_DIR = "templates"
GITOPS_DIR = "gitops"
INFRA_DIR = "infra"
POLICIES_DIR = "policies"
# groundwork-runtime, the package every rendered Python service depends on (runtime/src/groundwork_runtime).
RUNTIME_DIR = "runtime"
COPIER_FILE = "copier.yml"
CATALOG_FILE = "catalog-info.yaml"
# Local state of `groundwork up` and `groundwork readiness` (Pulumi's file backend, provision records).
STATE_DIR = ".groundwork"

# gitops/: bootstrap/ (what the root Application syncs), addons/<addon>/, apps/<service>/.
BOOTSTRAP_DIR = "bootstrap"
ADDONS_DIR = "addons"
APPS_DIR = "apps"
# addons/dashboards/: the fleet's dashboards, and the SLO rules every service's objectives feed.
DASHBOARDS_ADDON = "dashboards"
SLO_RULES_FILE = "slo-rules.yaml"

# The GitOps entry of one service: gitops/apps/<service>/{base,overlays/<env>}/kustomization.yaml
BASE_DIR = "base"
OVERLAYS_DIR = "overlays"
KUSTOMIZATION = "kustomization.yaml"
ANSWERS_FILE = ".copier-answers.yml"
# Environments in promotion order.
ENVIRONMENTS = ("dev", "staging", "prod")


def find_template_root(start: Path | None = None) -> Path:
    """The repository root holding `copier.yml`, searched upwards from `start` (default: this package)."""
    here = (start or Path(__file__)).resolve()
    for candidate in [here, *here.parents]:
        if (candidate / COPIER_FILE).is_file() and (candidate / TEMPLATES_DIR).is_dir():
            return candidate
    raise TemplateNotFound(
        f"no groundwork template (a {COPIER_FILE} beside a {TEMPLATES_DIR}/ folder) above {here}",
        "pass --template with a checkout path or a git URL such as gh:<org>/groundwork",
    )


def user_cache() -> Path:
    """Where groundwork keeps what it installs or computes once per version of its inputs, outside any
    repository: `$XDG_CACHE_HOME/groundwork`, default `~/.cache/groundwork`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "groundwork"
