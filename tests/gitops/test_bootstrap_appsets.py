"""gitops/bootstrap as the root Application renders it: the emptied default project and the ApplicationSets."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from bootstrap_support import (
    BOOTSTRAP,
    EXPECTED_RETRY,
    LAYER_WAVES,
    README,
    VERSIONS,
    kustomize,
    sources,
    strings,
    template_expressions,
    walk,
)

# Add-ons that ship CustomResourceDefinitions (or Argo CD's own), and the dashboards (JSON ConfigMaps): too
# large for client-side apply's last-applied annotation.
CRD_HEAVY = {
    "addon-dashboards",
    "argocd",
    "addon-istio-base",
    "addon-istiod",
    "addon-prometheus-operator-crds",
    "addon-kube-prometheus-stack",
    "addon-external-secrets",
    "addon-sealed-secrets",
    "addon-cloudnative-pg",
    "addon-strimzi",
}
# The services and their previews sync server-side too: an unknown field then fails the sync (issue 10).
SERVER_SIDE = CRD_HEAVY | {"apps", "previews"}
ANNOTATION = re.compile(r"\.metadata\.annotations\.([A-Za-z0-9_]+)|index \.metadata\.annotations \"([A-Za-z0-9_]+)\"")
LABEL = re.compile(r"\.metadata\.labels\.([A-Za-z0-9_]+)")
CHART_REF = re.compile(r"\.charts\.([a-z0-9_]+)\.(chart|repository|version)")


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return kustomize(BOOTSTRAP)


@pytest.fixture(scope="module")
def appsets(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == "ApplicationSet"}


def _wave(obj: dict[str, Any]) -> int:
    return int(obj["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


def _cluster_generator(appset: dict[str, Any]) -> dict[str, Any]:
    generator = appset["spec"]["generators"][0]
    if "matrix" in generator:
        generator = generator["matrix"]["generators"][0]
    assert "clusters" in generator, f"{appset['metadata']['name']}: the first generator is not a cluster generator"
    return generator["clusters"]


def test_only_argo_cd_kinds_and_no_secret(documents: list[dict[str, Any]]) -> None:
    kinds = {d["kind"] for d in documents}
    assert kinds == {"AppProject", "ApplicationSet"}
    assert all(d["metadata"]["namespace"] == "argocd" for d in documents)


def test_default_project_is_emptied(documents: list[dict[str, Any]]) -> None:
    (default,) = [d for d in documents if d["kind"] == "AppProject"]
    assert default["metadata"]["name"] == "default"
    spec = default["spec"]
    assert spec["sourceRepos"] == []
    assert spec["destinations"] == []
    assert spec["sourceNamespaces"] == []
    assert spec["clusterResourceWhitelist"] == []
    assert spec["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]
    assert _wave(default) < min(_wave(d) for d in documents if d["kind"] == "ApplicationSet")


def test_every_appset_uses_strict_go_templates(appsets: dict[str, dict[str, Any]]) -> None:
    for name, appset in appsets.items():
        assert appset["spec"]["goTemplate"] is True, name
        assert appset["spec"]["goTemplateOptions"] == ["missingkey=error"], name


def test_retry_policy_everywhere(appsets: dict[str, dict[str, Any]]) -> None:
    for name, appset in appsets.items():
        policy = appset["spec"]["template"]["spec"]["syncPolicy"]
        assert policy["retry"] == EXPECTED_RETRY, name
        assert policy["automated"]["selfHeal"] is True, name


def test_prune_only_where_safe(appsets: dict[str, dict[str, Any]]) -> None:
    prune = {n: a["spec"]["template"]["spec"]["syncPolicy"]["automated"]["prune"] for n, a in appsets.items()}
    # CRDs, Namespaces, AppProjects and Argo CD itself are never pruned by a sync; everything else is.
    never = {"argocd", "projects", "addon-namespaces", "addon-istio-base", "addon-prometheus-operator-crds"}
    assert {n for n, p in prune.items() if not p} == never
    for name, appset in appsets.items():
        if name == "previews":  # a closed pull request's preview is torn down with everything it created
            assert not appset["spec"].get("syncPolicy", {}).get("preserveResourcesOnDeletion"), name
        elif name != "apps":  # removing a service's folder removes the service; add-ons stay when un-selected
            assert appset["spec"]["syncPolicy"]["preserveResourcesOnDeletion"] is True, name


def test_server_side_apply_on_crd_heavy_addons_and_the_services(appsets: dict[str, dict[str, Any]]) -> None:
    for name, appset in appsets.items():
        options = appset["spec"]["template"]["spec"]["syncPolicy"].get("syncOptions", [])
        assert ("ServerSideApply=true" in options) == (name in SERVER_SIDE), f"{name}: {options}"


def test_ignore_differences_are_respected(appsets: dict[str, dict[str, Any]]) -> None:
    for name, appset in appsets.items():
        spec = appset["spec"]["template"]["spec"]
        options = spec["syncPolicy"].get("syncOptions", [])
        assert ("RespectIgnoreDifferences=true" in options) == ("ignoreDifferences" in spec), name


def test_addons_are_keyed_on_enable_labels(appsets: dict[str, dict[str, Any]]) -> None:
    addons = {n: a for n, a in appsets.items() if n.startswith("addon-") and n != "addon-namespaces"}
    assert len(addons) >= 14
    for name, appset in [*addons.items(), ("argocd", appsets["argocd"])]:
        selector = _cluster_generator(appset)["selector"]
        assert list(selector) == ["matchLabels"], name
        ((label, value),) = selector["matchLabels"].items()
        assert re.fullmatch(r"enable_[a-z][a-z0-9_]*", label), f"{name}: {label}"
        assert value == "true", name
    labels = {next(iter(_cluster_generator(a)["selector"]["matchLabels"])) for a in addons.values()}
    expected = {"istio", "kube_prometheus_stack", "tempo", "opentelemetry_collector", "loki", "alloy"}
    assert {
        f"enable_{x}" for x in expected | {"external_secrets", "sealed_secrets", "cloudnative_pg", "strimzi"}
    } == labels


def test_sync_waves_follow_the_layers(appsets: dict[str, dict[str, Any]]) -> None:
    for name, appset in appsets.items():
        layer = appset["metadata"]["labels"]["groundwork.dev/layer"]
        template = appset["spec"]["template"]["metadata"]
        assert _wave(appset) == LAYER_WAVES[layer], name
        assert template["labels"]["groundwork.dev/layer"] == layer, name
        assert int(template["annotations"]["argocd.argoproj.io/sync-wave"]) == _wave(appset), name
    waves = {layer: _wave(a) for a in appsets.values() if (layer := a["metadata"]["labels"]["groundwork.dev/layer"])}
    assert waves["projects"] < waves["argocd"] < waves["crds"] < waves["operators"] < waves["configs"] < waves["apps"]
    assert waves["apps"] < waves["previews"]
    layer_of = {n: a["metadata"]["labels"]["groundwork.dev/layer"] for n, a in appsets.items()}
    assert layer_of["addon-istio-base"] == layer_of["addon-prometheus-operator-crds"] == "crds"
    assert layer_of["addon-istiod"] == layer_of["addon-kube-prometheus-stack"] == "operators"
    assert layer_of["addon-istio-gateway"] == layer_of["addon-istio-mesh"] == layer_of["addon-dashboards"] == "configs"
    assert layer_of["apps"] == "apps"


def test_nothing_names_this_repository(appsets: dict[str, dict[str, Any]]) -> None:
    for name, appset in appsets.items():
        for node in walk(appset["spec"]):
            if isinstance(node, dict) and "repoURL" in node:
                url = node["repoURL"]
                assert url in (
                    "{{ .metadata.annotations.addons_repo_url }}",
                    f"{{{{ .charts.{_chart_key(url)}.repository }}}}",
                ), f"{name}: repoURL {url}"
            if isinstance(node, dict) and "repoURL" in node and "chart" not in node:
                revision = node.get("targetRevision", node.get("revision"))
                assert revision == "{{ .metadata.annotations.addons_repo_revision }}", name


def _chart_key(url: str) -> str:
    match = CHART_REF.search(url)
    return match.group(1) if match else "?"


def test_chart_versions_come_from_the_pin_file(appsets: dict[str, dict[str, Any]]) -> None:
    pins = yaml.safe_load(VERSIONS.read_text(encoding="utf-8"))["charts"]
    used: set[str] = set()
    for name, appset in appsets.items():
        for source in sources(appset["spec"]["template"]["spec"]):
            if "chart" not in source:
                continue
            key = _chart_key(source["chart"])
            assert key in pins, f"{name}: no charts.{key} in gitops/versions.yaml"
            assert source["chart"] == f"{{{{ .charts.{key}.chart }}}}", name
            assert source["repoURL"] == f"{{{{ .charts.{key}.repository }}}}", name
            assert source["targetRevision"] == f"{{{{ .charts.{key}.version }}}}", name
            used.add(key)
            git = appset["spec"]["generators"][0]["matrix"]["generators"][1]["git"]
            assert git["files"] == [{"path": "gitops/versions.yaml"}], name
    assert used == set(pins), "every pinned chart is installed by exactly the ApplicationSet that reads it"
    # No version, range or tag is written anywhere in the bootstrap tree itself.
    for text in strings([a["spec"] for a in appsets.values()]):
        assert not re.search(r"\b\d+\.\d+\.\d+\b", text), text


def test_apps_appset_walks_the_overlays(appsets: dict[str, dict[str, Any]]) -> None:
    apps = appsets["apps"]
    clusters, git = (g for g in apps["spec"]["generators"][0]["matrix"]["generators"])
    assert clusters["clusters"]["selector"]["matchExpressions"] == [
        {"key": "environment", "operator": "In", "values": ["dev", "staging", "prod"]}
    ]
    assert git["git"]["directories"] == [{"path": "gitops/apps/*/overlays/{{ .metadata.labels.environment }}"}]
    template = apps["spec"]["template"]
    assert template["metadata"]["name"] == "{{ index .path.segments 2 }}-{{ .metadata.labels.environment }}"
    spec = template["spec"]
    assert spec["project"] == "{{ .metadata.labels.environment }}"
    assert spec["source"]["path"] == "{{ .path.path }}"
    assert spec["destination"]["namespace"] == "{{ index .path.segments 2 }}"
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "RespectIgnoreDifferences=true" in spec["syncPolicy"]["syncOptions"]
    assert {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]} in spec["ignoreDifferences"]


def test_every_cluster_secret_key_the_templates_read_is_documented(appsets: dict[str, dict[str, Any]]) -> None:
    readme = README.read_text(encoding="utf-8")
    expressions = template_expressions([a["spec"] for a in appsets.values()])
    annotations = {a or b for e in expressions for a, b in ANNOTATION.findall(e)}
    labels = {m for e in expressions for m in LABEL.findall(e)}
    assert {"addons_repo_url", "addons_repo_revision", "aws_region", "external_secrets_role_arn"} <= annotations
    assert labels == {"environment"}
    selected = {
        key
        for a in appsets.values()
        for node in walk(a["spec"]["generators"])
        if isinstance(node, dict)
        for key in [*node.get("matchLabels", {}), *(e["key"] for e in node.get("matchExpressions", []))]
    }
    for key in sorted(annotations | labels | selected):
        assert f"`{key}`" in readme, f"gitops/README.md does not document the cluster Secret key `{key}`"


def test_template_expressions_are_the_known_shapes(appsets: dict[str, dict[str, Any]]) -> None:
    known = re.compile(
        r"^(\.name|\.nameNormalized|\.server|\.path\.path|index \.path\.segments 2"
        r"|\.metadata\.(annotations|labels)\.[a-z0-9_]+|\.charts\.[a-z0-9_]+\.(chart|repository|version)"
        r'|\$type := index \.metadata\.annotations "[a-z_]+" \| default "LoadBalancer"|\$type'
        r'|if eq \$type "NodePort"|end'
        # previews: deploy answers (git files generator) and pull-request parameters
        r'|\.service_name|\.container_registry|\.number|\.head_sha|index \(splitList "/" \.gitops_repo\) 0)$'
    )
    for name, appset in appsets.items():
        for expression in template_expressions(appset["spec"]):
            assert known.match(expression), f"{name}: unexpected template expression {{{{ {expression} }}}}"
