"""Build small GitOps trees for `groundwork check` tests: real deploy-template apps plus a minimal bootstrap."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import yaml
from copier.errors import CopierWarning

from groundwork.cli import run

ENVS = ("dev", "staging", "prod")
TEMPLATE_APP = "orders"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def render_app(repo_root: Path, dest: Path, name: str = TEMPLATE_APP) -> Path:
    """Render this checkout's deploy template (HEAD, uncommitted changes included; never the latest tag, which a
    clone may lack) for one service, as `copier copy --vcs-ref HEAD --data template=deploy` would."""
    data = {
        "template": "deploy",
        "service_name": name,
        "owner_team": f"team-{name}",
        "domain": "commerce",
        "image_digest": DIGEST,
    }
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore", CopierWarning)
        copier.run_copy(str(repo_root), dest, data=data, defaults=True, quiet=True, unsafe=False, vcs_ref="HEAD")
    _components_beside(repo_root / "gitops" / "components", dest)
    return dest


def _components_beside(components: Path, app: Path) -> None:
    """Every entry's kustomizations use the shared components at gitops/components (`app`'s ../../components)."""
    target = app.parent.parent / "components"
    if not target.exists():
        shutil.copytree(components, target)


def clone_app(rendered: Path, gitops: Path, name: str) -> Path:
    """Copy a rendered app into gitops/apps/<name>, renaming the service everywhere (files and contents)."""
    dest = gitops / "apps" / name
    shutil.copytree(rendered, dest)
    _components_beside(rendered.parent.parent / "components", dest)
    pattern = re.compile(rf"\b{re.escape(rendered.name)}\b")
    for path in sorted(dest.rglob("*"), reverse=True):
        if path.is_file():
            path.write_text(pattern.sub(name, path.read_text(encoding="utf-8")), encoding="utf-8")
        if rendered.name in path.name:
            path.rename(path.with_name(path.name.replace(rendered.name, name)))
    return dest


def write_bootstrap(gitops: Path, apps: list[str]) -> Path:
    """A minimal bootstrap: one AppProject per environment and one Application per app and environment."""
    folder = gitops / "bootstrap"
    folder.mkdir(parents=True, exist_ok=True)
    projects = [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": env, "namespace": "argocd"},
            "spec": {
                "description": f"Services in {env}",
                "sourceRepos": ["https://github.com/acme/platform"],
                "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            },
        }
        for env in ENVS
    ]
    applications = [application(app, env) for app in apps for env in ENVS]
    dump_all(folder / "projects.yaml", projects)
    dump_all(folder / "apps.yaml", applications)
    return folder


def application(app: str, env: str, project: str | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"{app}-{env}", "namespace": "argocd"},
        "spec": {
            "project": project or env,
            "source": {
                "repoURL": "https://github.com/acme/platform",
                "path": f"gitops/apps/{app}/overlays/{env}",
                "targetRevision": "main",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": app},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }


def dump_all(path: Path, documents: list[dict[str, Any]]) -> None:
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")


def edit_yaml(path: Path, change: Callable[[Any], Any]) -> None:
    """Load one YAML document, let `change` mutate (or replace) it, write it back."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = change(document)
    path.write_text(yaml.safe_dump(document if result is None else result, sort_keys=False), encoding="utf-8")


def add_resource(app_dir: Path, name: str, document: dict[str, Any]) -> None:
    """Add a manifest to an app's base and list it in the base kustomization."""
    (app_dir / "base" / name).write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    edit_yaml(app_dir / "base" / "kustomization.yaml", lambda k: k["resources"].append(name))


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run `groundwork ...` in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(argv)
    return code, out.getvalue(), err.getvalue()


def check_json(path: Path) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(["check", str(path), "--json"])
    assert out.strip(), f"no JSON report (exit {code}): {err}"
    return code, json.loads(out)


@dataclass(frozen=True)
class GateRun:
    """One run of the gate: exit code, printed text, and the parsed JSON report (for `--json` runs)."""

    code: int
    out: str
    err: str
    report: dict[str, Any]


def findings_of(report: dict[str, Any], app: str, env: str | None = None) -> list[dict[str, Any]]:
    """Every finding the JSON report lists for `app` (and `env`), each with its app and env added."""
    return [
        {**finding, "app": group["app"], "env": group["env"]}
        for group in report["targets"]
        if group["app"] == app and (env is None or group["env"] == env)
        for finding in group["findings"]
    ]
