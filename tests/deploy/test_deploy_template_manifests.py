"""The deploy template renders, every overlay builds with real kustomize, the output passes strict schemas,
and it holds what a reviewer checks: restricted pods, the contract's probes, per-environment replicas and
images, and mesh/network policies that admit exactly the declared consumers."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cloudcoil.models.istio.networking import v1 as istio_networking
from cloudcoil.models.istio.security import v1 as istio_security
from cloudcoil.models.prometheus_operator import v1 as prometheus_operator
from deploy_support import ANSWER_SETS, DIGEST, ENVS, RenderedApp, of_kind, one, rendered_app

CORE_KINDS = {
    "Namespace",
    "ServiceAccount",
    "ConfigMap",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "NetworkPolicy",
    "PodDisruptionBudget",
}
CRD_MODELS: dict[str, Any] = {
    "VirtualService": istio_networking.VirtualService,
    "DestinationRule": istio_networking.DestinationRule,
    "AuthorizationPolicy": istio_security.AuthorizationPolicy,
    "PeerAuthentication": istio_security.PeerAuthentication,
    "ServiceMonitor": prometheus_operator.ServiceMonitor,
    "PrometheusRule": prometheus_operator.PrometheusRule,
}
MONITORING_NAMESPACE = "monitoring"
INGRESS_NAMESPACE = "istio-ingress"
INGRESS_PRINCIPAL = "cluster.local/ns/istio-ingress/sa/istio-ingressgateway"
OTEL_ENDPOINT = "http://opentelemetry-collector.observability.svc.cluster.local:4318"


@pytest.fixture(scope="module", params=sorted(ANSWER_SETS))
def app(request: pytest.FixtureRequest, repo_root: Path) -> RenderedApp:
    return rendered_app(request.param, repo_root)


def kubernetes_validate(path: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "kubernetes-validate"
    return subprocess.run([str(executable), "--strict", str(path)], capture_output=True, text=True, check=False)


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def expected_consumers(app: RenderedApp) -> list[str]:
    return [str(c) for c in app.answers.get("consumers", [])]  # type: ignore[attr-defined]


def is_exposed(app: RenderedApp) -> bool:
    return bool(app.answers.get("expose", app.service == "gateway"))


# --- it builds, and strict schemas accept it -----------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_overlay_builds_and_core_kinds_pass_strict_schema(app: RenderedApp, env: str, tmp_path: Path) -> None:
    docs = app.built(env)
    built = tmp_path / f"{env}.yaml"
    built.write_text(yaml.safe_dump_all(docs))
    result = kubernetes_validate(built)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = {line.split("resource ")[1].split("/")[0] for line in result.stdout.splitlines() if " passed " in line}
    kinds = {doc["kind"] for doc in docs}
    assert {kind.lower() for kind in kinds & CORE_KINDS} <= passed


def test_strict_schema_check_catches_a_typo(app: RenderedApp, tmp_path: Path) -> None:
    """The check above can fail: a misspelt Deployment field is refused."""
    deployment = copy.deepcopy(app.deployment("prod"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSecond"] = 5
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(deployment))
    assert kubernetes_validate(broken).returncode != 0


@pytest.mark.parametrize("env", ENVS)
def test_mesh_and_monitoring_resources_match_their_crds(app: RenderedApp, env: str) -> None:
    docs = app.built(env)
    assert {doc["kind"] for doc in docs} >= set(CRD_MODELS)
    for doc in docs:
        model = CRD_MODELS.get(doc["kind"])
        if model is not None:
            model.model_validate(doc, extra="forbid")


def test_every_resource_is_in_the_service_namespace_and_labelled(app: RenderedApp) -> None:
    answers = app.answers
    for env in ENVS:
        for doc in app.built(env):
            meta = doc["metadata"]
            if doc["kind"] != "Namespace":
                assert meta["namespace"] == app.service, f"{doc['kind']} {meta['name']} in {meta.get('namespace')}"
            labels = meta["labels"]
            assert labels["app.kubernetes.io/name"] == app.service
            assert labels["app.kubernetes.io/part-of"] == answers["domain"]
            assert labels["app.kubernetes.io/managed-by"] == "groundwork"
            assert labels["groundwork.dev/owner"] == answers["owner_team"]
            assert labels["app.kubernetes.io/version"] == answers.get("image_tag", "0.1.0")
            assert labels["groundwork.dev/environment"] == env


def test_namespace_enforces_restricted_pod_security_and_sidecar_injection(app: RenderedApp) -> None:
    namespace = one(app.built("prod"), "Namespace")
    assert namespace["metadata"]["name"] == app.service
    labels = namespace["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert labels["istio-injection"] == "enabled"


# --- the pod --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_pod_meets_restricted_pod_security(app: RenderedApp, env: str) -> None:
    pod = app.deployment(env)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] >= 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == app.service
    assert not pod.get("hostNetwork")
    assert not pod.get("hostPID")
    assert not pod.get("hostIPC")
    container = app.container(env)
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["readOnlyRootFilesystem"] is True
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] >= 10001
    assert security.get("privileged") is False
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "a read-only root needs a writable /tmp"
    account = one(app.built(env), "ServiceAccount", app.service)
    assert account["automountServiceAccountToken"] is False


def test_a_volume_the_service_adds_to_its_base_is_kept(app: RenderedApp, tmp_path: Path) -> None:
    """A team mounts a ConfigMap in its base: the shared component keeps it beside the platform's /tmp."""
    entry = tmp_path / "gitops" / "apps" / app.service
    shutil.copytree(app.path.parent.parent / "components", tmp_path / "gitops" / "components")
    shutil.copytree(app.path, entry)
    deployment = entry / "base" / "deployment.yaml"
    document = yaml.safe_load(deployment.read_text(encoding="utf-8"))
    pod = document["spec"]["template"]["spec"]
    pod["volumes"].append({"name": "settings", "configMap": {"name": "settings"}})
    pod["containers"][0]["volumeMounts"].append({"name": "settings", "mountPath": "/etc/settings", "readOnly": True})
    deployment.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    built = RenderedApp(answers=app.answers, path=entry)
    pod = built.deployment("prod")["spec"]["template"]["spec"]
    assert {v["name"] for v in pod["volumes"]} == {"tmp", "settings"}
    assert {m["mountPath"] for m in built.container("prod")["volumeMounts"]} == {"/tmp", "/etc/settings"}


def test_probes_ports_and_service_follow_the_contract(app: RenderedApp) -> None:
    container = app.container("prod")
    port = int(app.answers.get("http_port", 8080))  # type: ignore[call-overload]
    assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    probes = {kind: container[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert probes == {
        "startupProbe": {"path": "/startupz", "port": "http"},
        "livenessProbe": {"path": "/livez", "port": "http"},
        "readinessProbe": {"path": "/readyz", "port": "http"},
    }
    assert env_of(container)["APP_PORT"] == str(port)
    service = one(app.built("prod"), "Service", app.service)
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP", "appProtocol": "http"}
    ]
    pod_labels = app.deployment("prod")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_shutdown_fits_in_the_termination_grace_period(app: RenderedApp) -> None:
    pod = app.deployment("prod")["spec"]["template"]["spec"]
    container = app.container("prod")
    prestop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = int(env_of(container)["APP_SHUTDOWN_GRACE_SECONDS"])
    assert grace == 20
    assert prestop > 0
    assert prestop + grace < pod["terminationGracePeriodSeconds"]


def test_requests_limits_and_topology_spread(app: RenderedApp) -> None:
    container = app.container("prod")
    for bound in ("requests", "limits"):
        assert set(container["resources"][bound]) == {"cpu", "memory"}
    pod = app.deployment("prod")["spec"]["template"]
    spread = pod["spec"]["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    for constraint in spread:
        assert constraint["labelSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()


@pytest.mark.parametrize("env", ENVS)
def test_telemetry_points_at_the_collector_and_names_the_environment(app: RenderedApp, env: str) -> None:
    container = app.container(env)
    env_vars = env_of(container)
    assert env_vars["OTEL_EXPORTER_OTLP_ENDPOINT"] == OTEL_ENDPOINT
    assert env_vars["OTEL_SERVICE_NAME"] == app.service
    attributes = dict(pair.split("=", 1) for pair in env_vars["OTEL_RESOURCE_ATTRIBUTES"].split(","))
    assert attributes["deployment.environment"] == "$(DEPLOYMENT_ENVIRONMENT)"
    assert attributes["service.namespace"] == app.answers["domain"]
    assert env_vars["DEPLOYMENT_ENVIRONMENT"] == {
        "fieldRef": {"fieldPath": "metadata.labels['groundwork.dev/environment']"}
    }
    names = [item["name"] for item in container["env"]]
    assert names.index("DEPLOYMENT_ENVIRONMENT") < names.index("OTEL_RESOURCE_ATTRIBUTES"), "$(VAR) needs it first"
    assert app.deployment(env)["spec"]["template"]["metadata"]["labels"]["groundwork.dev/environment"] == env


# --- per environment ------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_replicas_and_disruption_budget_per_environment(app: RenderedApp, env: str) -> None:
    docs = app.built(env)
    assert "replicas" not in app.deployment(env)["spec"], "the HPA owns replicas; a fixed count would fight it"
    hpa = one(docs, "HorizontalPodAutoscaler", app.service)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": app.service}
    budgets = of_kind(docs, "PodDisruptionBudget")
    if env == "dev":
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 1)
        assert budgets == []
    else:
        assert hpa["spec"]["minReplicas"] >= 2
        assert hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
        (budget,) = budgets
        pod_labels = app.deployment(env)["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert budget["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("env", ENVS)
def test_image_is_pinned_by_tag_and_digest_once_released(app: RenderedApp, env: str) -> None:
    """With a release (image_digest), every environment, dev included, runs tag@digest; an unreleased service's
    dev runs the tag alone (test_deploy_template_answers)."""
    image = app.container(env)["image"]
    tag = app.answers.get("image_tag", "0.1.0")
    assert image == f"ghcr.io/acme/{app.service}:{tag}@{DIGEST}"


# --- who may call it ------------------------------------------------------------------------------------


def test_authorization_policy_admits_exactly_the_declared_consumers(app: RenderedApp) -> None:
    policy = one(app.built("prod"), "AuthorizationPolicy", app.service)["spec"]
    assert policy["action"] == "ALLOW"
    pod_labels = app.deployment("prod")["spec"]["template"]["metadata"]["labels"]
    assert policy["selector"]["matchLabels"].items() <= pod_labels.items()
    principals = [p for rule in policy["rules"] for src in rule.get("from", []) for p in src["source"]["principals"]]
    expected = [f"cluster.local/ns/{c}/sa/{c}" for c in expected_consumers(app)]
    if is_exposed(app):
        expected.append(INGRESS_PRINCIPAL)
    assert principals == expected
    open_rules = [rule for rule in policy["rules"] if "from" not in rule]
    assert open_rules == [{"to": [{"operation": {"methods": ["GET"], "paths": ["/metrics"]}}]}]


def test_network_policy_mirrors_the_authorization_policy(app: RenderedApp) -> None:
    docs = app.built("prod")
    deny = one(docs, "NetworkPolicy", "default-deny-ingress")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}
    allow = one(docs, "NetworkPolicy", f"{app.service}-ingress")["spec"]
    (rule,) = allow["ingress"]
    namespaces: list[str] = []
    for peer in rule["from"]:
        selector = peer["namespaceSelector"]
        assert set(peer) == {"namespaceSelector"}
        if "matchLabels" in selector:
            namespaces.append(selector["matchLabels"]["kubernetes.io/metadata.name"])
        else:
            (expression,) = selector["matchExpressions"]
            assert (expression["key"], expression["operator"]) == ("kubernetes.io/metadata.name", "In")
            namespaces.extend(expression["values"])
    expected = expected_consumers(app) + ([INGRESS_NAMESPACE] if is_exposed(app) else [])
    assert sorted(namespaces) == sorted([*expected, MONITORING_NAMESPACE, "istio-system"])
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]


def test_mtls_is_strict_except_plain_text_scrapes_on_the_app_port(app: RenderedApp) -> None:
    peer = one(app.built("prod"), "PeerAuthentication", app.service)["spec"]
    port = str(app.answers.get("http_port", 8080))
    assert peer["mtls"] == {"mode": "STRICT"}
    assert peer["portLevelMtls"] == {port: {"mode": "PERMISSIVE"}}


def test_virtual_service_bounds_timeouts_and_retries(app: RenderedApp) -> None:
    spec = one(app.built("prod"), "VirtualService", app.service)["spec"]
    fqdn = f"{app.service}.{app.service}.svc.cluster.local"
    (route,) = spec["http"]
    assert route["route"] == [{"destination": {"host": fqdn, "port": {"number": 80}}}]
    assert route["timeout"] == "5s"
    retries = route["retries"]
    assert 1 <= retries["attempts"] <= 3
    assert retries["perTryTimeout"] == "2s"
    # Only failures where the request never reached the app: safe to retry for any method.
    assert set(retries["retryOn"].split(",")) == {"connect-failure", "refused-stream", "reset-before-request"}
    if is_exposed(app):
        host = app.answers.get("public_host", f"{app.service}.example.com")
        assert spec["hosts"] == [fqdn, host]
        assert spec["gateways"] == ["mesh", "istio-ingress/public"]
    else:
        assert spec["hosts"] == [fqdn]
        assert "gateways" not in spec


def test_destination_rule_has_circuit_breaking_and_a_bulkhead(app: RenderedApp) -> None:
    spec = one(app.built("prod"), "DestinationRule", app.service)["spec"]
    assert spec["host"] == f"{app.service}.{app.service}.svc.cluster.local"
    policy = spec["trafficPolicy"]
    assert policy["tls"] == {"mode": "ISTIO_MUTUAL"}
    assert policy["outlierDetection"]["consecutive5xxErrors"] == 5
    assert policy["outlierDetection"]["maxEjectionPercent"] < 100
    assert policy["connectionPool"]["tcp"]["maxConnections"] > 0
    assert policy["connectionPool"]["http"]["http1MaxPendingRequests"] > 0


# --- observability --------------------------------------------------------------------------------------


def test_service_monitor_scrapes_the_contract_metrics_endpoint(app: RenderedApp) -> None:
    docs = app.built("prod")
    monitor = one(docs, "ServiceMonitor", app.service)["spec"]
    assert monitor["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}]
    service = one(docs, "Service", app.service)
    assert monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()


def test_no_dashboard_copy_ships_with_the_service(app: RenderedApp) -> None:
    """The fleet's one service dashboard (gitops/addons/dashboards) shows every service: no ConfigMap here."""
    for env in ENVS:
        assert [d for d in app.built(env) if d["kind"] == "ConfigMap"] == []
