"""database=postgres (and events=kafka) in the deploy template: a CloudNativePG Cluster of the service's own, the
app's credentials from the operator's Secret, migrations run by Argo CD before the rollout, the event-flow alerts;
every overlay built with real kustomize, and the gate judging the new kinds (strict CRD schema, database per
service). database=none renders none of it."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import ENVS, RenderedApp, app_home, deploy_answers, of_kind, one, render_deploy

from groundwork.cli import run
from groundwork.dashboards import service as service_dashboard

REPO = Path(__file__).resolve().parents[2]
SERVICE_SRC = REPO / "templates" / "service" / "src" / "{{package_name}}"
INSTANCES = {"dev": 1, "staging": 2, "prod": 3}
STATEFUL = deploy_answers(
    service_name="order-api",
    owner_team="team-orders",
    database="postgres",
    events="kafka",
    publishes=["orders.events"],
    consumes=["payments.events"],
)


def _copier_default(key: str) -> str:
    return str(yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))[key]["default"])


def _render(parent: Path, answers: dict[str, object]) -> RenderedApp:
    home = app_home(REPO, parent, str(answers["service_name"]))
    return RenderedApp(answers=answers, path=render_deploy(REPO, home, answers))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> RenderedApp:
    return _render(tmp_path_factory.mktemp("stateful"), STATEFUL)


@pytest.fixture(scope="module")
def stateless(tmp_path_factory: pytest.TempPathFactory) -> RenderedApp:
    return _render(tmp_path_factory.mktemp("stateless"), deploy_answers())


def _annotations(doc: dict[str, Any]) -> dict[str, str]:
    return dict(doc["metadata"].get("annotations") or {})


def _secret_refs(container: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_cluster_gives_the_service_its_own_database_and_role(app: RenderedApp, env: str) -> None:
    cluster = one(app.built(env), "Cluster", "order-api-db")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["metadata"]["namespace"] == "order-api"
    assert cluster["metadata"]["labels"]["app.kubernetes.io/name"] == "order-api"
    spec = cluster["spec"]
    assert spec["bootstrap"] == {"initdb": {"database": "order_api", "owner": "order_api"}}
    assert spec["instances"] == INSTANCES[env]
    assert spec["imageName"] == _copier_default("database_image")
    assert spec["enableSuperuserAccess"] is False
    assert spec["storage"]["size"] == "1Gi"
    assert spec["inheritedMetadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}


@pytest.mark.parametrize("env", ENVS)
def test_credentials_come_from_the_operators_secret_never_from_git(app: RenderedApp, env: str) -> None:
    docs = app.built(env)
    job = one(docs, "Job", "order-api-migrate")
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    expected = {"APP_DATABASE_URL": {"name": "order-api-db-app", "key": "uri"}}
    assert _secret_refs(app.container(env)) == expected
    assert _secret_refs(migrate) == expected
    assert of_kind(docs, "Secret") == []
    assert "postgresql://" not in yaml.safe_dump_all(docs)
    # The variable is the one the service reads: its settings' database_url, with the runtime's APP_ prefix.
    settings = (SERVICE_SRC / "settings.py.jinja").read_text(encoding="utf-8")
    assert "    database_url: SecretStr\n" in settings
    assert "`uri` key of the <service>-db-app Secret" in settings


@pytest.mark.parametrize("env", ENVS)
def test_migrations_run_before_the_rollout_with_the_service_image(app: RenderedApp, env: str) -> None:
    docs = app.built(env)
    job, cluster, deployment = one(docs, "Job"), one(docs, "Cluster"), app.deployment(env)
    hook = _annotations(job)
    assert hook["argocd.argoproj.io/hook"] == "Sync"
    assert hook["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
    wave = int(hook["argocd.argoproj.io/sync-wave"])
    assert int(_annotations(cluster)["argocd.argoproj.io/sync-wave"]) < wave < 0  # Cluster, migrations, the rest
    assert all(
        int(_annotations(d).get("argocd.argoproj.io/sync-wave", "0")) >= 0
        for d in docs
        if d not in (job, cluster) and d["metadata"]["name"] != "order-api-db-ingress"
    )
    pod = job["spec"]["template"]
    (migrate,) = pod["spec"]["containers"]
    assert migrate["command"] == ["alembic", "-c", "/app/alembic.ini", "upgrade", "head"]
    dockerfile = (REPO / "templates" / "service" / "Dockerfile.jinja").read_text(encoding="utf-8")
    assert "COPY alembic.ini /app/alembic.ini" in dockerfile
    assert "COPY migrations /app/migrations" in dockerfile
    assert migrate["image"] == app.container(env)["image"]  # the overlay's tag (and digest) reach the Job too
    assert pod["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 0
    assert job["spec"]["activeDeadlineSeconds"] > 0
    # Restricted exactly like the Deployment, and none of its pods' labels: never an endpoint of the Service.
    template = deployment["spec"]["template"]["spec"]
    assert pod["spec"]["securityContext"] == template["securityContext"]
    assert migrate["securityContext"] == app.container(env)["securityContext"]
    assert pod["spec"]["automountServiceAccountToken"] is False
    assert pod["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}
    service = one(docs, "Service", "order-api")
    assert not set(service["spec"]["selector"].items()) <= set(pod["metadata"]["labels"].items())
    assert pod["metadata"]["labels"]["groundwork.dev/owner"] == "team-orders"


def test_only_the_service_the_operator_and_prometheus_reach_the_database(app: RenderedApp) -> None:
    monitor = one(app.built("prod"), "PodMonitor", "order-api-db")
    assert monitor["metadata"]["namespace"] == "order-api"
    assert monitor["spec"]["selector"] == {"matchLabels": {"cnpg.io/cluster": "order-api-db"}}
    assert [e["port"] for e in monitor["spec"]["podMetricsEndpoints"]] == ["metrics"]
    policy = one(app.built("prod"), "NetworkPolicy", "order-api-db-ingress")
    assert policy["spec"]["podSelector"] == {"matchLabels": {"cnpg.io/cluster": "order-api-db"}}
    rules = {
        json.dumps(r["from"], sort_keys=True): sorted(p["port"] for p in r["ports"]) for r in policy["spec"]["ingress"]
    }
    assert rules == {
        json.dumps([{"podSelector": {}}]): [5432],
        json.dumps(
            [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}}}], sort_keys=True
        ): [5432, 8000],
        json.dumps(
            [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}], sort_keys=True
        ): [9187],
    }


def test_event_flow_alerts_use_the_metrics_the_service_exports(app: RenderedApp) -> None:
    rule = one(app.built("dev"), "PrometheusRule")
    (events,) = [g for g in rule["spec"]["groups"] if g["name"] == "order-api-events"]
    alerts = {r["alert"]: r for r in events["rules"]}
    assert set(alerts) == {"OutboxBacklogStuck", "ConsumerLagHigh", "MessagesDeadLettered"}
    assert alerts["OutboxBacklogStuck"]["labels"]["severity"] == "critical"
    # The fleet dashboard draws the alert's threshold: one number in both.
    backlog = alerts["OutboxBacklogStuck"]
    assert backlog["expr"].endswith(f"> {service_dashboard.OUTBOX_BACKLOG_ALERT}")
    assert 10 + int(backlog["for"].removesuffix("m")) == service_dashboard.OUTBOX_ALERT_MINUTES
    exported = (SERVICE_SRC / "{% if events == 'kafka' %}event_metrics.py{% endif %}").read_text(encoding="utf-8")
    for alert in alerts.values():
        assert alert["labels"]["team"] == "team-orders"
        assert alert["annotations"]["runbook_url"].endswith("/order-api/blob/main/docs/runbook.md#alerts")
        for metric in re.findall(r"\b([a-z_]+)\{", alert["expr"]):
            assert f'"{metric.removesuffix("_total")}"' in exported, metric
            assert 'namespace="order-api"' in alert["expr"]


def test_a_publisher_that_consumes_nothing_has_only_the_outbox_alert(tmp_path: Path) -> None:
    app = _render(tmp_path, {**STATEFUL, "consumes": []})
    (events,) = [g for g in one(app.built("dev"), "PrometheusRule")["spec"]["groups"] if g["name"].endswith("-events")]
    assert [r["alert"] for r in events["rules"]] == ["OutboxBacklogStuck"]


@pytest.mark.parametrize("env", ENVS)
def test_database_none_renders_none_of_it(stateless: RenderedApp, env: str) -> None:
    docs = stateless.built(env)
    assert {d["kind"] for d in docs}.isdisjoint({"Cluster", "Job", "Secret"})
    assert "APP_DATABASE_URL" not in {e["name"] for e in stateless.container(env)["env"]}
    assert [g["name"] for g in one(docs, "PrometheusRule")["spec"]["groups"]] == ["orders-slo-objectives"]
    assert "checkov.io/skip1" not in _annotations(stateless.deployment(env))
    assert not (stateless.path / "database").exists()
    assert not list(stateless.path.glob("overlays/*/database.yaml"))


def test_database_cluster_false_leaves_the_database_out_of_the_entry(tmp_path: Path) -> None:
    """database=postgres with database_cluster=false (a cluster without the operator): no Cluster, no Job, no
    credentials; the service's code still is database=postgres."""
    app = _render(tmp_path, {**STATEFUL, "database_cluster": False})
    answers = yaml.safe_load((app.path / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert (answers["database"], answers["database_cluster"]) == ("postgres", False)
    for env in ENVS:
        assert {d["kind"] for d in app.built(env)}.isdisjoint({"Cluster", "Job"})
        assert "APP_DATABASE_URL" not in {e["name"] for e in app.container(env)["env"]}
    assert not (app.path / "database").exists()
    assert "## Database" not in (app.path / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("flag", ["--database-cluster", "--no-database-cluster"])
def test_groundwork_new_service_passes_the_choice_to_the_entry(tmp_path: Path, flag: str) -> None:
    for part in ("catalog-info.yaml", "catalog", "gitops"):
        copy = shutil.copytree if (REPO / part).is_dir() else shutil.copy2
        copy(REPO / part, tmp_path / part)
    gitops = tmp_path / "gitops"
    argv = ["new", "service", "ledger", "--team", "team-payments", "--domain", "payments", "--database", "postgres"]
    argv += [
        flag,
        "--gitops",
        str(gitops),
        "--dest",
        str(tmp_path / "ledger"),
        "--no-lock",
        "--no-git",
        "--ref",
        "HEAD",
    ]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert run(argv) == 0, err.getvalue()
    entry = gitops / "apps" / "ledger"
    assert (entry / "database" / "cluster.yaml").is_file() == (flag == "--database-cluster")
    assert (tmp_path / "ledger" / "alembic.ini").is_file()  # the service itself is database=postgres either way


def test_the_fleets_stateful_entries_carry_no_cluster_for_the_sandbox() -> None:
    """The Docker-free sandbox (issue 10) runs no CloudNativePG operator: a Cluster in a committed fleet entry would
    never be Healthy and would hold every sync. The fleet is seeded with --no-database-cluster (scripts/seed-fleet),
    and its answers keep it so for `copier update`."""
    stateful = []
    for answers_file in sorted((REPO / "gitops" / "apps").glob("*/.copier-answers.yml")):
        answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
        if answers.get("database") == "postgres":
            stateful.append(answers_file.parent.name)
            assert answers.get("database_cluster") is False, answers_file
            assert not (answers_file.parent / "database").exists()
    assert stateful == ["inventory", "notification", "order", "payment"]
    assert "--no-database-cluster" in (REPO / "scripts" / "seed-fleet").read_text(encoding="utf-8")


def _gate(root: Path) -> tuple[int, dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["check", str(root), "--json", "--no-cache"])
    assert out.getvalue().strip(), err.getvalue()
    return code, json.loads(out.getvalue())


@pytest.mark.slow
def test_the_gate_passes_two_stateful_services_and_fails_a_shared_database(tmp_path: Path) -> None:
    """Two services with their own Clusters pass the real gate (strict CRD schema, checkov, PSS, native rules);
    the second bootstrapping the first's database and role fails it with one finding per environment, on the line
    to edit; a typo in a Cluster field is a schema finding."""
    root = tmp_path / "platform"
    _render(root, STATEFUL)
    payments = _render(
        root,
        {
            **STATEFUL,
            "service_name": "payments",
            "owner_team": "team-payments",
            "publishes": ["payments.events"],
            "consumes": [],
        },
    )
    code, report = _gate(root)
    assert code == 0, [f for t in report["targets"] for f in t["findings"]]
    cluster = payments.path / "database" / "cluster.yaml"
    text = cluster.read_text(encoding="utf-8")
    cluster.write_text(
        text.replace("database: payments", "database: order_api")
        .replace("owner: payments", "owner: order_api")
        .replace("  storage:", "  storagee:")
    )
    code, report = _gate(root)
    assert code == 1
    lines = cluster.read_text(encoding="utf-8").splitlines()
    for target in report["targets"]:
        found = sorted((f["rule"], f["file"], f["line"], f["message"]) for f in target["findings"])
        if target["app"] == "order-api":
            assert found == []
            continue
        assert [(rule, file) for rule, file, *_ in found] == [
            ("GW_NATIVE_6", "gitops/apps/payments/database/cluster.yaml"),
            ("cloudnative-pg-schema", "gitops/apps/payments/database/cluster.yaml"),
        ], found
        (_, _, line, message), (_, _, typo_line, typo) = found
        assert lines[line - 1].strip() == "database: order_api"
        assert "database 'order_api' and owner 'order_api', not payments's own" in message
        assert "\n" not in message
        assert lines[typo_line - 1].strip() == "storagee:"
        assert typo == "spec.storagee: unknown field (not in the schema)"
