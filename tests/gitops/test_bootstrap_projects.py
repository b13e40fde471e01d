"""The AppProjects per environment, and the kustomize patch that writes this repository's URL into them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from bootstrap_support import (
    BOOTSTRAP,
    ENVIRONMENTS,
    IN_CLUSTER,
    PLACEHOLDER_REPO,
    VERSIONS,
    kubectl,
    kustomize,
)

PLATFORM_NAMESPACES = {"argocd", "kube-system", "istio-system", "istio-ingress", "monitoring", "observability"}
REPO_URL = "https://github.com/acme/platform.git"


def _projects(env: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in kustomize(BOOTSTRAP / "projects" / env)}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_environment_gets_platform_and_its_own_project(env: str) -> None:
    projects = _projects(env)
    # dev clusters also host the pull-request previews (gitops/bootstrap/previews.yaml) in their own project.
    assert set(projects) == ({"platform", env, "preview"} if env == "dev" else {"platform", env})
    assert all(p["kind"] == "AppProject" and p["metadata"]["namespace"] == "argocd" for p in projects.values())
    for project in projects.values():
        assert project["spec"]["sourceRepos"][0] == PLACEHOLDER_REPO
        assert project["metadata"]["labels"]["groundwork.dev/source-repo"] == "from-cluster-secret"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_project_is_restricted(env: str) -> None:
    spec = _projects(env)[env]["spec"]
    assert spec["sourceRepos"] == [PLACEHOLDER_REPO]
    assert all(d["server"] == IN_CLUSTER for d in spec["destinations"])
    allowed = [d["namespace"] for d in spec["destinations"] if not d["namespace"].startswith("!")]
    denied = {d["namespace"][1:] for d in spec["destinations"] if d["namespace"].startswith("!")}
    assert allowed == ["*"]
    for namespace in PLATFORM_NAMESPACES | {"default", "external-secrets", "cnpg-system", "kafka"}:
        assert namespace in denied or any(
            pattern.endswith("*") and namespace.startswith(pattern[:-1]) for pattern in denied
        ), f"{env} may deploy into {namespace}"
    assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]


def test_only_prod_has_a_sync_window() -> None:
    for env in ("dev", "staging"):
        assert "syncWindows" not in _projects(env)[env]["spec"]
    (window,) = _projects("prod")["prod"]["spec"]["syncWindows"]
    assert window["kind"] == "allow"
    assert window["manualSync"] is True
    assert window["applications"] == ["*-prod"]
    assert window["timeZone"] == "UTC"
    minute, hour, _, _, weekdays = window["schedule"].split()
    assert (minute, hour, weekdays) == ("0", "8", "1-5")
    assert window["duration"] == "9h"


def test_platform_project_trusts_exactly_the_pinned_chart_repositories() -> None:
    platform = _projects("dev")["platform"]["spec"]
    pins = yaml.safe_load(VERSIONS.read_text(encoding="utf-8"))["charts"]
    assert sorted(platform["sourceRepos"][1:]) == sorted({p["repository"] for p in pins.values()})
    assert {d["namespace"] for d in platform["destinations"]} == PLATFORM_NAMESPACES | {
        "external-secrets",
        "cnpg-system",
        "kafka",
    }
    assert platform["clusterResourceWhitelist"] == [{"group": "*", "kind": "*"}]


def _projects_appset() -> dict[str, Any]:
    (appset,) = yaml.safe_load_all((BOOTSTRAP / "projects.yaml").read_text(encoding="utf-8"))
    return appset


def test_projects_appset_lives_in_the_bootstrap_project() -> None:
    spec = _projects_appset()["spec"]["template"]["spec"]
    assert spec["project"] == "bootstrap"  # `platform` is one of the projects this Application creates
    assert spec["source"]["path"] == "gitops/bootstrap/projects/{{ .metadata.labels.environment }}"
    assert spec["destination"]["namespace"] == "argocd"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_appset_patch_writes_the_repository_url(env: str, tmp_path: Path) -> None:
    """Apply the ApplicationSet's kustomize patch (with the annotation rendered) exactly as Argo CD would."""
    patches = _projects_appset()["spec"]["template"]["spec"]["source"]["kustomize"]["patches"]
    rendered = [
        {**p, "patch": p["patch"].replace("{{ .metadata.annotations.addons_repo_url }}", REPO_URL)} for p in patches
    ]
    # kustomize only loads resources below the kustomization: copy the projects tree next to the overlay.
    shutil.copytree(BOOTSTRAP / "projects", tmp_path / "projects")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [f"../projects/{env}"],
        "patches": rendered,
    }
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")
    done = subprocess.run([str(kubectl()), "kustomize", str(overlay)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    projects = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert len(projects) == (3 if env == "dev" else 2)
    for project in projects:
        assert project["spec"]["sourceRepos"][0] == REPO_URL
        assert PLACEHOLDER_REPO not in done.stdout
