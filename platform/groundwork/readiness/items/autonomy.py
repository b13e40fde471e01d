"""Item 6, team autonomy: the platform contract is documented, and every service follows it whatever its stack
(health endpoints and the probes on them, the RED metric names, the OTEL variables, the identity labels, its
own namespace behind a Service on port 80), and every stack the fleet runs has a passing `groundwork conform`
report (docs/conformance/<stack>.json): the contract is proven from outside, not only asserted.
Inverse Conway: a team owning more than 3 services is a warning, unless its Group is marked
platform-supported."""

from __future__ import annotations

import json
from collections import defaultdict

from groundwork.catalog.entities import PLATFORM_SUPPORTED
from groundwork.parsed import as_list, as_mapping
from groundwork.paths import BASE_DIR, KUSTOMIZATION, OVERLAYS_DIR
from groundwork.readiness.context import Context
from groundwork.readiness.entries import Entry
from groundwork.readiness.model import Check, Evidence, ItemSpec, Status, judged
from groundwork.readiness.probes import route

SPEC = ItemSpec(
    6,
    "team-autonomy",
    "Team autonomy",
    "Does every service follow the documented platform contract, whatever its stack, with no team overloaded?",
)
CONTRACT = "docs/platform-contract.md"
ENDPOINTS = {"startupProbe": "/startupz", "livenessProbe": "/livez", "readinessProbe": "/readyz"}
METRICS = {
    "http_requests_total": r"""["']http_requests(_total)?["']""",
    "http_request_duration_seconds": r"""["']http_request_duration_seconds["']""",
    "http_requests_in_flight": r"""["']http_requests_in_flight["']""",
}
OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "groundwork.dev/owner")
VERSION_LABEL = "app.kubernetes.io/version"
CONTRACT_TERMS = (
    *ENDPOINTS.values(),
    "/metrics",
    *METRICS,
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_RESOURCE_ATTRIBUTES",
    "trace_id",
    *LABELS,
    VERSION_LABEL,
)
MAX_SERVICES_PER_TEAM = 3
# One `groundwork conform --json` report per stack the fleet runs (scripts/conformance-reports writes them;
# the tests re-run the suite on both templates and keep these in step).
CONFORMANCE_DIR = "docs/conformance"
DEFAULT_STACK = "python"


def assess(context: Context) -> list[Check]:
    checks = [_contract_documented(context), _stacks_conform(context)]
    for entry in context.entries:
        checks += [
            _health_endpoints(context, entry),
            _metric_names(context, entry),
            _otel_variables(entry),
            _identity(entry),
        ]
    checks += _team_load(context)
    return checks


def _contract_documented(context: Context) -> Check:
    path = context.root / CONTRACT
    if not path.is_file():
        return judged("contract-documented", [f"{CONTRACT} is missing: the contract is not written down"], "")
    text = path.read_text(encoding="utf-8")
    missing = [term for term in CONTRACT_TERMS if term not in text]
    return judged(
        "contract-documented",
        [f"{CONTRACT} does not define {', '.join(missing)}"] if missing else [],
        f"{CONTRACT} defines the endpoints, metrics, logs, OTEL variables and labels the checks rely on",
        Evidence(files=(CONTRACT,), counts={"terms": len(CONTRACT_TERMS)}),
    )


def _stacks_conform(context: Context) -> Check:
    """Every stack the fleet runs has a passing conformance report for the current contract version."""
    from groundwork.conform.contract import CLAUSES, CONTRACT_VERSION

    stacks: dict[str, list[str]] = defaultdict(list)
    for entry in context.entries:
        stacks[str(entry.answer("stack") or DEFAULT_STACK)].append(entry.name)
    problems: list[str] = []
    files: list[str] = []
    for stack in sorted(stacks):
        rel = f"{CONFORMANCE_DIR}/{stack}.json"
        files.append(rel)
        try:
            report = json.loads((context.root / rel).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"{rel} (the {stack} stack's conformance report) cannot be read: {type(error).__name__}")
            continue
        results = report.get("results", []) if isinstance(report, dict) else []
        statuses = {str(r.get("clause")): r.get("status") for r in results if isinstance(r, dict)}
        if not isinstance(report, dict) or report.get("contract") != CONTRACT_VERSION:
            problems.append(f"{rel} is not a platform contract {CONTRACT_VERSION} report: re-run it")
        elif set(statuses) != set(CLAUSES) or any(status != "pass" for status in statuses.values()):
            failing = sorted(c for c in CLAUSES if statuses.get(c) != "pass")
            problems.append(f"{rel}: {', '.join(failing[:5])} not passed")
    listed = "; ".join(f"{stack}: {', '.join(sorted(names))}" for stack, names in sorted(stacks.items()))
    return judged(
        "stacks-conform",
        problems,
        f"{len(stacks)} stacks in the fleet ({listed}), each with a passing platform contract "
        f"{CONTRACT_VERSION} conformance report ({', '.join(files)})",
        Evidence(files=tuple(files), counts={"stacks": len(stacks), "clauses": len(CLAUSES)}),
    )


def _health_endpoints(context: Context, entry: Entry) -> Check:
    files = context.repo_files(entry.name)
    problems: list[str] = []
    shown: list[str] = []
    for path in ENDPOINTS.values():
        hit = files.first(route(path))
        if hit is None:
            problems.append(f"{entry.name}: no source file of {context.repo_shown(entry.name)} serves {path}")
        else:
            shown.append(f"{context.repos.shown(entry.name, hit.file)}:{hit.line}")
    probes = entry.probes()
    for probe, path in ENDPOINTS.items():
        found = probes.get(probe)
        if found is None:
            problems.append(f"{entry.name}: the Deployment in {entry.rel(BASE_DIR)}/ has no HTTP {probe} (on {path})")
        elif found[0] != path:
            problems.append(f"{entry.name}: {found[1]} probes {found[0]}, the contract's {probe} path is {path}")
        else:
            shown.append(found[1])
    return judged(
        "health-endpoints",
        problems,
        f"{entry.name} serves /livez, /readyz and /startupz and its probes use them",
        Evidence(files=tuple(shown)),
        service=entry.name,
    )


def _metric_names(context: Context, entry: Entry) -> Check:
    files = context.repo_files(entry.name)
    problems: list[str] = []
    shown: list[str] = []
    for name, pattern in METRICS.items():
        hit = files.first(pattern)
        if hit is None:
            problems.append(f"{entry.name}: no source file of {context.repo_shown(entry.name)} defines {name}")
        else:
            shown.append(f"{context.repos.shown(entry.name, hit.file)}:{hit.line}")
    return judged(
        "metric-names",
        problems,
        f"{entry.name} defines the contract's RED metrics",
        Evidence(files=tuple(shown)),
        service=entry.name,
    )


def _otel_variables(entry: Entry) -> Check:
    env = entry.container_env()
    problems: list[str] = []
    where = f"{entry.rel(BASE_DIR)}/"
    name = env.get("OTEL_SERVICE_NAME")
    if name is None or name.value != entry.name:
        problems.append(f"{entry.name}: {name.where if name else where} must set OTEL_SERVICE_NAME={entry.name}")
    if not any(variable in env for variable in OTLP_ENDPOINTS):
        problems.append(f"{entry.name}: {where} sets neither {' nor '.join(OTLP_ENDPOINTS)}")
    attributes = env.get("OTEL_RESOURCE_ATTRIBUTES")
    if attributes is None or "deployment.environment=" not in (attributes.value or ""):
        problems.append(
            f"{entry.name}: {attributes.where if attributes else where} must carry deployment.environment in "
            "OTEL_RESOURCE_ATTRIBUTES"
        )
    otel = sorted(variable for variable in env if variable.startswith("OTEL_"))
    return judged(
        "otel-variables",
        problems,
        f"{entry.name}'s container sets {', '.join(otel)}",
        Evidence(
            files=tuple(sorted({env[v].where.rsplit(":", 1)[0] for v in otel})), counts={"otel_variables": len(otel)}
        ),
        service=entry.name,
    )


def _identity(entry: Entry) -> Check:
    labels = entry.labels(BASE_DIR)
    kustomization = entry.kustomization(BASE_DIR)
    problems: list[str] = []
    for label in LABELS:
        value = labels.get(label)
        if value is None or not value[0]:
            problems.append(f"{entry.name}: {entry.rel(BASE_DIR, KUSTOMIZATION)} does not set the label {label}")
    if labels.get(LABELS[0], ("", ""))[0] not in ("", entry.name):
        problems.append(f"{entry.name}: {labels[LABELS[0]][1]} sets {LABELS[0]} to {labels[LABELS[0]][0]}")
    for overlay in entry.overlays:
        if VERSION_LABEL not in entry.labels(OVERLAYS_DIR, overlay):
            problems.append(
                f"{entry.name}: {entry.rel(OVERLAYS_DIR, overlay, KUSTOMIZATION)} does not set {VERSION_LABEL}"
            )
    namespace = kustomization.body.get("namespace") if kustomization else None
    if namespace != entry.name:
        problems.append(f"{entry.name}: {entry.rel(BASE_DIR, KUSTOMIZATION)} must put it in namespace {entry.name}")
    ports = [
        as_mapping(port).get("port")
        for found in entry.of_kind("Service", BASE_DIR)
        if as_mapping(found.body.get("metadata")).get("name") == entry.name
        for port in as_list(as_mapping(found.body.get("spec")).get("ports"))
    ]
    if 80 not in ports:
        problems.append(f"{entry.name}: no Service {entry.name} on port 80 in {entry.rel(BASE_DIR)}/")
    return judged(
        "labels-and-namespace",
        problems,
        f"{entry.name} carries the contract's labels and runs in namespace {entry.name} behind a Service on port 80",
        Evidence(files=(entry.rel(BASE_DIR, KUSTOMIZATION),), counts={"labels": len(labels)}),
        service=entry.name,
    )


def _team_load(context: Context) -> list[Check]:
    owned: dict[str, list[str]] = defaultdict(list)
    for entry in context.entries:
        team = context.owner(entry.name)
        if team:
            owned[team].append(entry.name)
    checks: list[Check] = []
    for team, services in sorted(owned.items()):
        group = context.group(team)
        where = str(group.where) if group else "catalog/groups.yaml"
        evidence = Evidence(files=(where,), counts={"services": len(services)})
        listed = ", ".join(sorted(services))
        if len(services) <= MAX_SERVICES_PER_TEAM:
            checks.append(
                judged("team-load", [], f"{team} owns {len(services)} services ({listed})", evidence, team=team)
            )
        elif group is not None and group.platform_supported:
            checks.append(
                judged(
                    "team-load",
                    [],
                    f"{team} owns {len(services)} services ({listed}), platform-supported ({PLATFORM_SUPPORTED})",
                    evidence,
                    team=team,
                )
            )
        else:
            checks.append(
                Check(
                    "team-load",
                    Status.WARN,
                    f"{team} owns {len(services)} services ({listed}), more than {MAX_SERVICES_PER_TEAM}: split the "
                    f'work or mark the Group ({where}) {PLATFORM_SUPPORTED}: "true"',
                    evidence,
                    team=team,
                )
            )
    return checks
