"""The kind stack under Pulumi mocks: the generated kind config, the kubeconfig reaching the Kubernetes
provider as a secret, Argo CD at gitops/versions.yaml's chart version, the cluster Secret and root App."""

from __future__ import annotations

import pytest
import yaml
from infra_harness import KIND_KUBECONFIG, ProgramRun, run_program
from infra_stacks import REPO_ROOT, REPO_URL, repository_inputs, stack_settings

from groundwork.infra.program import build

KIND_NODE_IMAGE = "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"


def run_kind(**overrides: object) -> ProgramRun:
    settings = stack_settings("kind", **overrides)
    return run_program("kind", lambda: build(settings, repository_inputs()))


@pytest.fixture(scope="module")
def kind_run() -> ProgramRun:
    return run_kind()


def test_kind_config_pins_the_node_image_and_maps_the_gateway_ports(kind_run: ProgramRun) -> None:
    command = kind_run.one("command:local:Command")
    config = yaml.safe_load(command.value("stdin"))
    assert config["kind"] == "Cluster"
    assert config["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert config["name"] == "groundwork"
    (control_plane,) = config["nodes"]
    assert control_plane["role"] == "control-plane"
    assert control_plane["image"] == KIND_NODE_IMAGE
    mappings = {(m["containerPort"], m["hostPort"], m["listenAddress"]) for m in control_plane["extraPortMappings"]}
    assert mappings == {(30080, 8080, "127.0.0.1"), (30443, 8443, "127.0.0.1")}


def test_kind_cluster_is_created_and_deleted_by_the_kind_cli(kind_run: ProgramRun) -> None:
    command = kind_run.one("command:local:Command")
    assert command.value("create").startswith("kind create cluster --name groundwork --config - --wait ")
    assert "kind get kubeconfig --name groundwork" in command.value("create")
    assert command.value("delete") == "kind delete cluster --name groundwork"
    assert command.value("triggers") == [command.value("stdin")]
    assert command.value("logging") == "stderr"  # stdout is the kubeconfig: never logged


def test_workers_and_ports_follow_stack_config() -> None:
    run = run_kind(kindWorkers=2, kindHttpPort=9080, kindHttpsPort=9443)
    config = yaml.safe_load(run.one("command:local:Command").value("stdin"))
    assert [node["role"] for node in config["nodes"]] == ["control-plane", "worker", "worker"]
    assert all(node["image"] == KIND_NODE_IMAGE for node in config["nodes"])
    ports = {m["hostPort"] for m in config["nodes"][0]["extraPortMappings"]}
    assert ports == {9080, 9443}
    assert run.outputs["gatewayUrl"] == "http://localhost:9080"


def test_kubeconfig_flows_into_the_kubernetes_provider_as_a_secret(kind_run: ProgramRun) -> None:
    provider = kind_run.one("pulumi:providers:kubernetes")
    assert provider.is_secret("kubeconfig")
    assert provider.value("kubeconfig") == KIND_KUBECONFIG
    assert kind_run.outputs["kubeconfig"] == KIND_KUBECONFIG
    # Everything Kubernetes goes through that provider, not an ambient kubeconfig.
    for resource in kind_run.resources:
        if resource.custom and resource.typ.startswith("kubernetes:"):
            assert resource.provider.startswith(provider.urn + "::"), resource.name


def test_argocd_chart_version_is_the_one_gitops_pins(kind_run: ProgramRun) -> None:
    pinned = yaml.safe_load((REPO_ROOT / "gitops" / "versions.yaml").read_text())["charts"]["argocd"]
    release = kind_run.one("kubernetes:helm.sh/v3:Release")
    assert release.value("chart") == pinned["chart"] == "argo-cd"
    assert release.value("version") == pinned["version"]
    assert release.value("repositoryOpts") == {"repo": pinned["repository"]}
    assert release.value("name") == "argocd"
    assert release.value("namespace") == "argocd"
    values = yaml.safe_load((REPO_ROOT / "gitops" / "bootstrap" / "argocd" / "values.yaml").read_text())
    assert release.value("values") == values


def test_root_application_syncs_gitops_bootstrap_of_this_repository(kind_run: ProgramRun) -> None:
    (root,) = [r for r in kind_run.of_type("kubernetes:argoproj.io/v1alpha1:Application")]
    assert root.value("metadata")["name"] == "root"
    assert root.value("metadata")["namespace"] == "argocd"
    spec = root.value("spec")
    assert spec["source"] == {"repoURL": REPO_URL, "targetRevision": "main", "path": "gitops/bootstrap"}
    assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
    assert spec["project"] == "bootstrap"
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    project = kind_run.one("kubernetes:argoproj.io/v1alpha1:AppProject")
    assert project.value("metadata")["name"] == "bootstrap"
    assert project.value("spec")["sourceRepos"] == [REPO_URL]


def test_revision_follows_stack_config() -> None:
    run = run_kind(revision="release-1.2")
    root = run.one("kubernetes:argoproj.io/v1alpha1:Application")
    assert root.value("spec")["source"]["targetRevision"] == "release-1.2"
    secret = run.one("kubernetes:core/v1:Secret")
    assert secret.value("metadata")["annotations"]["addons_repo_revision"] == "release-1.2"


def test_cluster_secret_labels_follow_stack_config(kind_run: ProgramRun) -> None:
    settings = stack_settings("kind")
    secret = kind_run.one("kubernetes:core/v1:Secret")
    labels = secret.value("metadata")["labels"]
    assert labels["argocd.argoproj.io/secret-type"] == "cluster"
    assert labels["environment"] == "dev"
    enabled = {key.removeprefix("enable_") for key, value in labels.items() if key.startswith("enable_")}
    assert enabled == set(settings.addons)
    assert all(labels[f"enable_{addon}"] == "true" for addon in settings.addons)


@pytest.mark.parametrize("addons", [["argocd", "istio"], ["tempo"], []])
def test_addon_labels_are_exactly_the_configured_addons(addons: list[str]) -> None:
    labels = run_kind(addons=addons).one("kubernetes:core/v1:Secret").value("metadata")["labels"]
    assert {key for key in labels if key.startswith("enable_")} == {f"enable_{addon}" for addon in addons}


def test_cluster_secret_tells_the_addons_about_the_repository_and_the_gateway(kind_run: ProgramRun) -> None:
    secret = kind_run.one("kubernetes:core/v1:Secret")
    annotations = secret.value("metadata")["annotations"]
    assert annotations["addons_repo_url"] == REPO_URL
    assert annotations["addons_repo_revision"] == "main"
    assert annotations["istio_gateway_service_type"] == "NodePort"
    assert annotations["istio_gateway_http_node_port"] == "30080"
    assert secret.value("stringData")["server"] == "https://kubernetes.default.svc"
    assert secret.value("metadata")["name"] == "groundwork"
    assert secret.value("metadata")["namespace"] == "argocd"


def test_every_resource_is_parented_to_its_component(kind_run: ProgramRun) -> None:
    components = {"groundwork:infra:KindCluster", "groundwork:infra:ArgoCdBootstrap"}
    top_level = [r for r in kind_run.resources if r.parent_type == "pulumi:pulumi:Stack"]
    assert {r.typ for r in top_level} == components
    for resource in kind_run.resources:
        if resource.typ not in components:
            assert resource.parent_type in components, resource.name


def test_outputs_are_what_groundwork_up_reads(kind_run: ProgramRun) -> None:
    assert kind_run.outputs["env"] == "kind"
    assert kind_run.outputs["environment"] == "dev"
    assert kind_run.outputs["clusterName"] == "groundwork"
    assert kind_run.outputs["argocdNamespace"] == "argocd"
    assert kind_run.outputs["rootApplication"] == "root"
    assert kind_run.outputs["gatewayUrl"] == "http://localhost:8080"
