"""gitops/addons: every file parses, every ApplicationSet finds its values or manifests, images are pinned,
the mesh is STRICT, namespaces enforce Pod Security, the fleet dashboard reads the contract's metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from bootstrap_support import ADDONS, BOOTSTRAP, GITOPS, kustomize, load_all, sources, walk, yaml_files

KUSTOMIZE_ADDONS = sorted(p.parent for p in ADDONS.glob("*/kustomization.yaml"))
CONTRACT_METRICS = {"http_requests_total", "http_request_duration_seconds_bucket", "http_requests_in_flight", "up"}


def _appsets() -> list[dict[str, Any]]:
    files = sorted((BOOTSTRAP / "addons").glob("*.yaml"))
    return [d for p in files for d in load_all(p) if d["kind"] != "Kustomization"]


def test_every_yaml_file_parses() -> None:
    files = yaml_files(GITOPS / "bootstrap") + yaml_files(ADDONS)
    assert len(files) > 40
    for path in files:
        load_all(path)  # raises on invalid YAML


def test_no_plaintext_secret_anywhere() -> None:
    for path in yaml_files(GITOPS / "bootstrap") + yaml_files(ADDONS):
        for document in load_all(path):
            assert not (isinstance(document, dict) and document.get("kind") == "Secret"), path
    for folder in KUSTOMIZE_ADDONS:
        assert all(d["kind"] != "Secret" for d in kustomize(folder)), folder


def test_every_addon_source_exists() -> None:
    for appset in _appsets():
        name = appset["metadata"]["name"]
        for source in sources(appset["spec"]["template"]["spec"]):
            for value_file in source.get("helm", {}).get("valueFiles", []):
                if "{{" in value_file:  # values-<environment>.yaml: optional (ignoreMissingValueFiles)
                    assert source["helm"]["ignoreMissingValueFiles"] is True, name
                    continue
                assert (GITOPS.parent / value_file.removeprefix("$values/")).is_file(), f"{name}: {value_file}"
            if "path" in source:
                assert (GITOPS.parent / source["path"] / "kustomization.yaml").is_file(), name


@pytest.mark.parametrize("folder", KUSTOMIZE_ADDONS, ids=lambda p: p.name)
def test_manifest_addons_render(folder: Path) -> None:
    documents = kustomize(folder)
    assert documents
    for document in documents:
        assert {"apiVersion", "kind", "metadata"} <= set(document), folder


def test_mesh_is_strict_and_traced() -> None:
    documents = {d["kind"]: d for d in kustomize(ADDONS / "istio-mesh")}
    peer = documents["PeerAuthentication"]
    assert peer["metadata"] == {"name": "default", "namespace": "istio-system"}
    assert peer["spec"] == {"mtls": {"mode": "STRICT"}}
    istiod = yaml.safe_load((ADDONS / "istiod" / "values.yaml").read_text(encoding="utf-8"))
    providers = {p["name"] for p in istiod["meshConfig"]["extensionProviders"]}
    tracing = documents["Telemetry"]["spec"]["tracing"]
    assert {p["name"] for t in tracing for p in t["providers"]} <= providers
    assert istiod["cni"]["enabled"] is True  # meshed pods without NET_ADMIN: Pod Security `restricted`
    gateway = documents["Gateway"]
    gateway_values = yaml.safe_load((ADDONS / "istio-gateway" / "values.yaml").read_text(encoding="utf-8"))
    assert gateway["spec"]["selector"] == {"istio": gateway_values["name"].removeprefix("istio-")}


def test_platform_namespaces_enforce_pod_security() -> None:
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"] for d in kustomize(ADDONS / "namespaces")}
    for name, labels in namespaces.items():
        assert labels["pod-security.kubernetes.io/enforce"] in ("baseline", "restricted"), name
        assert labels["pod-security.kubernetes.io/warn"] == "restricted", name
        assert labels["pod-security.kubernetes.io/audit"] == "restricted", name
    for name in ("istio-system", "istio-ingress", "external-secrets"):
        assert namespaces[name]["pod-security.kubernetes.io/enforce"] == "restricted", name
    destinations = {a["spec"]["template"]["spec"]["destination"]["namespace"] for a in _appsets()}
    assert destinations - {"kube-system", "argocd"} <= set(namespaces)


def _images(values: Any) -> list[dict[str, Any]]:
    """Every mapping naming an image: `repository` next to `tag`."""
    return [n for n in walk(values) if isinstance(n, dict) and "repository" in n and "tag" in n]


def test_images_in_values_are_pinned_by_tag() -> None:
    files = sorted(ADDONS.glob("*/values*.yaml")) + sorted((BOOTSTRAP / "argocd").glob("values*.yaml"))
    found = 0
    for path in files:
        for image in _images(yaml.safe_load(path.read_text(encoding="utf-8"))):
            tag = str(image["tag"])
            assert re.fullmatch(r"v?\d+\.\d+\.\d+(-[a-z0-9.]+)?", tag), f"{path}: {image['repository']}:{tag}"
            found += 1
    assert found >= 12


def test_addon_values_have_no_template_braces() -> None:
    """Values files are plain data: a `{{` would be Helm-templated by no one and shipped literally."""
    for path in sorted(ADDONS.glob("*/values*.yaml")):
        assert "{{" not in path.read_text(encoding="utf-8"), path


def test_fleet_dashboard_reads_the_contract() -> None:
    config_maps = {c["metadata"]["name"]: c for c in kustomize(ADDONS / "dashboards") if c["kind"] == "ConfigMap"}
    assert set(config_maps) == {"dashboard-fleet-overview", "dashboard-service"}  # the service one: its own test
    config_map = config_maps["dashboard-fleet-overview"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["namespace"] == "monitoring"
    (body,) = config_map["data"].values()
    dashboard = json.loads(body)
    assert dashboard["uid"] == "groundwork-fleet-overview"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 8
    for expr in exprs:
        metrics = set(re.findall(r"\b([a-z_]+)\{", expr))
        assert metrics, expr
        assert metrics <= CONTRACT_METRICS, expr
        assert "namespace" in expr  # namespace = service (platform contract)
    traffic = [e for e in exprs if "http_request" in e and "in_flight" not in e]
    assert all("/livez" in e for e in traffic)  # probes do not count as traffic
