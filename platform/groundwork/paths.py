"""Where things live in a groundwork checkout. Folder names are constants here and nowhere else."""

from pathlib import Path

from groundwork.errors import TemplateNotFound

TEMPLATES_DIR = "templates"
GITOPS_DIR = "gitops"
APPS_DIR = "apps"
COPIER_FILE = "copier.yml"


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


# The GitOps entry of one service: gitops/apps/<service>/{base,overlays/<env>}/kustomization.yaml
OVERLAYS_DIR = "overlays"
KUSTOMIZATION = "kustomization.yaml"
ANSWERS_FILE = ".copier-answers.yml"
# Environments in promotion order.
ENVIRONMENTS = ("dev", "staging", "prod")
