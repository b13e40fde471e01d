"""Run promtool over every PrometheusRule: one `check rules` over all rules files, then `test rules` over the
generated unit tests (split across the workers). Identical rule sets (the same rules and SLO, e.g. an app
whose overlays do not touch its rules) are checked once and reported for every place they appear; so are the
rule sets of services that differ only by the service's own name (rules/canonical.py), with each finding
naming its own service."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groundwork.check.errors import ToolBroken, ToolMissing
from groundwork.check.goenv import go_env
from groundwork.check.model import Document, Finding, Stage
from groundwork.check.rules.canonical import canonical, rename
from groundwork.check.rules.slo import Slo, read_slo
from groundwork.check.rules.synth import CONSTANT_VALUES, OUTAGE_QUERY, RuleTests, synthesize
from groundwork.parsed import as_list, as_mapping, load_yaml
from groundwork.paths import ADDONS_DIR, DASHBOARDS_ADDON, OVERLAYS_DIR, SLO_RULES_FILE

RULE_CHECK = "promtool-check-rules"
RULE_OUTAGE = "promtool-test-outage"
RULE_HEALTHY = "promtool-test-healthy"
RULE_TEST = "promtool-test-rules"
PROMTOOL_TIMEOUT_SECONDS = 900
MAX_MESSAGE = 600

_POSITION = re.compile(r"^\d+:\d+: ")
_ALERTNAME = re.compile(r'alertname="([^"]+)"')


def find_promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        raise ToolMissing(
            "promtool is not installed, so PrometheusRules cannot be checked",
            "install it with 'apt-get install --no-install-recommends prometheus' (or run ./scripts/install-tools)",
        )
    return found


def is_rule(document: Document) -> bool:
    return document.kind == "PrometheusRule" and document.api_version.startswith("monitoring.coreos.com/")


@dataclass
class _RuleSet:
    name: str
    groups: list[Any]
    slo: Slo
    testable: bool = True
    service: str | None = None  # the service whose rules `groups` are, when the set holds others renamed
    documents: list[Document] = field(default_factory=list)
    tests: RuleTests | None = None


def run_rules(documents: Sequence[Document], promtool: str, workers: int = 2) -> list[Finding]:
    sets = _rule_sets(d for d in documents if is_rule(d))
    if not sets:
        return []
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="groundwork-promtool-") as scratch:
        folder = Path(scratch)
        for rule_set in sets:
            _dump(folder / rule_set.name, {"groups": rule_set.groups})
        checked = _run(promtool, ["check", "rules"], [s.name for s in sets], folder, "Checking ")
        testable: list[tuple[str, _RuleSet]] = []
        for rule_set in sets:
            ok, lines = checked[rule_set.name]
            if not ok:
                findings += _report(rule_set, RULE_CHECK, lines)
                continue
            rule_set.tests = synthesize(rule_set.groups, rule_set.slo, rule_set.name) if rule_set.testable else None
            if rule_set.tests is not None:
                name = rule_set.name.replace(".rules.yaml", ".test.yaml")
                _dump(folder / name, rule_set.tests.test_file)
                testable.append((name, rule_set))
        chunks = [testable[i::workers] for i in range(workers) if testable[i::workers]]
        with ThreadPoolExecutor(max(1, len(chunks))) as pool:
            runs = pool.map(
                lambda chunk: _run(promtool, ["test", "rules"], [name for name, _ in chunk], folder, "Unit Testing:"),
                chunks,
            )
            tested: dict[str, tuple[bool, list[str]]] = {}
            for result in runs:
                tested.update(result)
    for name, rule_set in testable:
        ok, lines = tested[name]
        if not ok:
            findings += _test_findings(rule_set, lines)
    return findings


def _test_findings(rule_set: _RuleSet, lines: list[str]) -> list[Finding]:
    """promtool prints each failed query as `expr: ...` followed by `exp:` / `got:`; the query tells which test."""
    failures: list[list[str]] = []
    for line in lines:
        if line.startswith("expr:") or not failures:
            failures.append([])
        failures[-1].append(line)
    findings: list[Finding] = []
    for failure in failures:
        if failure[0].startswith("expr:"):
            kind = "outage" if OUTAGE_QUERY in failure[0] else "healthy"
            findings += _report(
                rule_set, RULE_OUTAGE if kind == "outage" else RULE_HEALTHY, _explain(rule_set, kind, failure)
            )
        else:  # not a query failure (e.g. the rules did not load): promtool's words as they are
            findings += _report(rule_set, RULE_TEST, ["promtool test rules failed:", *failure])
    return findings


def _rule_sets(documents: Any) -> list[_RuleSet]:
    """One set per distinct (rules, SLO), a service's rules with its name taken out where that is sound. A
    service's rules are judged together with the fleet's SLO rules, which turn its recorded objectives into error
    ratios and alerts; the fleet's rules alone alert on no service."""
    sets: dict[str, _RuleSet] = {}
    slos: dict[Path, Slo] = {}
    fleets: dict[Path, list[Any]] = {}
    keys: dict[str, tuple[str, bool]] = {}  # an overlay's rules as rendered -> (key, renamed): overlays repeat
    for document in documents:
        spec = document.body.get("spec")
        groups = spec.get("groups") if isinstance(spec, dict) else None
        if not isinstance(groups, list):
            continue  # the schema stage reports a PrometheusRule without spec.groups
        app_dir = _app_dir(document.target.path)
        if document.target.service:
            gitops = app_dir.parent.parent
            if gitops not in fleets:
                fleets[gitops] = fleet_slo_groups(gitops)
            groups = _with_fleet_rules(groups, fleets[gitops])
        if app_dir not in slos:
            slos[app_dir] = read_slo(app_dir)
        slo = slos[app_dir]
        testable = not _is_fleet_slo(document)
        service = document.target.app if document.target.service else None
        literal = json.dumps([groups, repr(slo), testable, service], sort_keys=True, default=str)
        if literal not in keys:
            form = canonical(groups, service, CONSTANT_VALUES) if service else None
            shown = json.dumps([form, repr(slo), testable], sort_keys=True, default=str) if form else literal
            keys[literal] = (hashlib.sha256(shown.encode()).hexdigest(), form is not None)
        key, renamed = keys[literal]
        if key not in sets:
            sets[key] = _RuleSet(f"r{len(sets)}.rules.yaml", groups, slo, testable, service if renamed else None)
        sets[key].documents.append(document)
    return list(sets.values())


def fleet_slo_groups(gitops: Path) -> list[Any]:
    """The rule groups of gitops/addons/dashboards/slo-rules.yaml; none when the tree has no such file."""
    try:
        document = load_yaml((gitops / ADDONS_DIR / DASHBOARDS_ADDON / SLO_RULES_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # absent, or reported by the render stage of its own target
    groups = as_mapping(as_mapping(document).get("spec")).get("groups")
    return list(groups) if isinstance(groups, list) else []


def _with_fleet_rules(groups: list[Any], fleet: list[Any]) -> list[Any]:
    """A service's groups after the fleet's, unless it records the fleet's series itself (an entry rendered
    before the fleet's rules keeps its own recordings and alerts, which the fleet's rules leave out)."""
    own = {as_mapping(r).get("record") for g in groups for r in as_list(as_mapping(g).get("rules"))}
    shared = {as_mapping(r).get("record") for g in fleet for r in as_list(as_mapping(g).get("rules"))}
    return groups if own & (shared - {None}) else [*fleet, *groups]


def _is_fleet_slo(document: Document) -> bool:
    return document.target.path.name == DASHBOARDS_ADDON and document.target.path.parent.name == ADDONS_DIR


def _app_dir(target_path: Path) -> Path:
    """gitops/apps/<app> for an overlay (gitops/apps/<app>/overlays/<env>), else the target folder itself."""
    return target_path.parent.parent if target_path.parent.name == OVERLAYS_DIR else target_path


def _dump(path: Path, content: Any) -> None:
    """JSON, which is YAML to promtool, and written by the json module's C encoder (PyYAML's emitter is Python)."""
    path.write_text(json.dumps(content, ensure_ascii=False, default=str), encoding="utf-8")


def _run(
    promtool: str, command: list[str], files: list[str], folder: Path, header: str
) -> dict[str, tuple[bool, list[str]]]:
    """Run promtool on `files` (relative to `folder`); per file: (passed, the lines it printed about it)."""
    if not files:
        return {}
    try:
        done = subprocess.run(
            [promtool, *command, *files],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one pipe keeps promtool's per-file blocks in order
            text=True,
            check=False,
            env=go_env(),
            timeout=PROMTOOL_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise ToolBroken(f"promtool {' '.join(command)} did not finish in {PROMTOOL_TIMEOUT_SECONDS} s") from None
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in done.stdout.splitlines():
        if line.startswith(header):
            current = blocks.setdefault(line[len(header) :].strip(), [])
        elif current is not None and line.strip():
            current.append(line.strip())
    results: dict[str, tuple[bool, list[str]]] = {}
    for name in files:
        lines = blocks.get(name)
        if lines is None:
            raise ToolBroken(f"promtool {' '.join(command)} said nothing about {name}: {done.stdout.strip()[-300:]}")
        failed = any(line.startswith("FAILED") for line in lines)
        # Positions ("74:11: ") point into the scratch copy, not the source file: drop them.
        detail = [
            _POSITION.sub("", line.removeprefix(f"{name}: "))
            for line in lines
            if not line.startswith(("SUCCESS", "FAILED"))
        ]
        results[name] = (not failed, detail)
    if done.returncode != 0 and all(ok for ok, _ in results.values()):
        raise ToolBroken(f"promtool {' '.join(command)} exited {done.returncode}: {done.stdout.strip()[-300:]}")
    return results


def _explain(rule_set: _RuleSet, kind: str, lines: list[str]) -> list[str]:
    """Name the alerts that misbehaved, from promtool's `got:` samples; promtool's own words if unparseable."""
    tests = rule_set.tests
    assert tests is not None
    text = " ".join(lines)
    got = set(_ALERTNAME.findall(text.split("got:", 1)[1])) if "got:" in text else None
    when = f"{tests.eval_minutes}m"
    if kind == "outage":
        missing = sorted(set(tests.paging) - got) if got is not None else []
        if missing:
            return [
                f"under a synthetic outage (every request 5xx and slower than every bucket) these paging alerts "
                f"are not firing after {when}: {', '.join(missing)}"
            ]
        return ["a synthetic outage does not fire every paging alert:", *lines]
    if got:
        return [
            f"healthy traffic (5xx and slow requests at half the SLO error budget) fires or holds pending "
            f"after {when}: {', '.join(sorted(got))}"
        ]
    return ["healthy traffic makes alerts fire:", *lines]


def _report(rule_set: _RuleSet, rule: str, lines: list[str]) -> list[Finding]:
    message = " ".join(" ".join(lines).split())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    message = message or "failed"
    return [
        Finding.about(document, Stage.RULES, rule, _for(message, rule_set.service, document))
        for document in rule_set.documents
    ]


def _for(message: str, service: str | None, document: Document) -> str:
    """A message about the set's own service, told about the service of `document` (the same rules renamed)."""
    if service is None or document.target.app == service:
        return message
    return rename(message, service, document.target.app)
