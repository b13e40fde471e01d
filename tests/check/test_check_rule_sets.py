"""Services whose rules differ only by the service's own name are judged by promtool once, and every finding is
still reported for the service it is about, under that service's name (rules/canonical.py)."""

from __future__ import annotations

import shlex
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from check_support import ENVS, clone_app, edit_yaml

from groundwork.check.discover import discover
from groundwork.check.model import Finding
from groundwork.check.render import find_kubectl, render_stream
from groundwork.check.rules.canonical import PLACEHOLDER, canonical, rename
from groundwork.check.rules.promtool import find_promtool, is_rule, run_rules
from groundwork.check.rules.synth import CONSTANT_VALUES
from groundwork.paths import ADDONS_DIR, DASHBOARDS_ADDON, SLO_RULES_FILE

CLEAN = ("alpha", "beta", "gamma")
NOISY = "noisy"  # fires on the first 5xx, well inside its error budget
BROKEN = ("broken", "cracked")  # the same unparsable alert, in a group named after each service


def _own_alert(app: Path, alert: dict[str, Any]) -> None:
    def edit(rule: dict[str, Any]) -> None:
        rule["spec"]["groups"].append({"name": f"{app.name}-alerts", "rules": [alert]})

    edit_yaml(app / "base" / "prometheusrule.yaml", edit)


@pytest.fixture(scope="module")
def judged(repo_root: Path, template_app: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Finding], Path]:
    """The rules stage over a fleet with the fleet's SLO rules; promtool wrapped to log every invocation."""
    root = tmp_path_factory.mktemp("rule-sets")
    gitops = root / "gitops"
    for name in (*CLEAN, NOISY, *BROKEN):
        clone_app(template_app, gitops, name)
    noisy = {"alert": "AnyServerError", "expr": 'sum(rate(http_requests_total{status=~"5.."}[5m])) > 0'}
    _own_alert(gitops / "apps" / NOISY, {**noisy, "labels": {"severity": "critical"}})
    for name in BROKEN:
        _own_alert(gitops / "apps" / name, {"alert": "Broken", "expr": "sum(rate(http_requests_total[5m])"})
    slo_rules = Path(ADDONS_DIR) / DASHBOARDS_ADDON / SLO_RULES_FILE
    (gitops / slo_rules).parent.mkdir(parents=True)
    shutil.copy2(repo_root / "gitops" / slo_rules, gitops / slo_rules)
    log = root / "promtool.log"
    wrapper = root / "promtool"
    wrapper.write_text(
        f'#!/bin/sh\necho "$*" >> {shlex.quote(str(log))}\nexec {shlex.quote(find_promtool())} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    targets = [t for t in discover(gitops) if t.service]
    documents = [d for r in render_stream(targets, find_kubectl(), root) for d in r.documents if is_rule(d)]
    assert len(documents) == 3 * len((*CLEAN, NOISY, *BROKEN))
    return run_rules(documents, str(wrapper), workers=2), log


def _files(log: Path, command: str) -> list[str]:
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    return [word for line in lines if " ".join(line[:2]) == command for word in line[2:]]


def test_services_that_differ_only_by_name_are_judged_once(judged: tuple[list[Finding], Path]) -> None:
    """Six services, three environments each: three distinct rule sets (the clean ones, the noisy one, the two
    broken ones), each handed to promtool once."""
    _, log = judged
    assert len(_files(log, "check rules")) == 3
    assert len(_files(log, "test rules")) == 2  # the broken set fails `check rules` and is not tested


def test_a_fault_is_reported_for_its_service_only(judged: tuple[list[Finding], Path]) -> None:
    findings, _ = judged
    noisy = [f for f in findings if f.rule == "promtool-test-healthy"]
    assert {(f.app, f.env) for f in noisy} == {(NOISY, env) for env in ENVS}
    assert all("AnyServerError" in f.message for f in noisy)
    assert not [f for f in findings if f.app in CLEAN]


def test_a_shared_verdict_names_each_service(judged: tuple[list[Finding], Path]) -> None:
    """The two broken services share one promtool run; each message names its own group, not the other's."""
    findings, _ = judged
    for name, other in (BROKEN, BROKEN[::-1]):
        own = [f for f in findings if f.app == name]
        assert {(f.env, f.rule) for f in own} == {(env, "promtool-check-rules") for env in ENVS}
        assert all(f"{name}-alerts" in f.message and other not in f.message for f in own), own[0].message


def _groups(name: str, expr_extra: str = "", **labels: str) -> list[Any]:
    return [
        {
            "name": f"{name}-slo",
            "rules": [
                {
                    "record": "namespace_job:slo_availability_error_budget:ratio",
                    "expr": "vector(0.001)",
                    "labels": {"namespace": name, "job": name, "team": f"team-{name}", **labels},
                },
                {
                    "alert": "Down",
                    "expr": f'up{{namespace="{name}", route!~"/livez|/readyz"{expr_extra}}} == 0',
                    "labels": {"severity": "critical", "service": name},
                    "annotations": {"summary": f"{name} is down ({{{{ $labels.job }}}}, see docs/{name}.md)"},
                },
            ],
        }
    ]


def test_canonical_forms_of_renamed_rules_are_equal() -> None:
    alpha, beta = canonical(_groups("alpha"), "alpha"), canonical(_groups("beta"), "beta")
    assert alpha is not None
    assert alpha == beta
    assert PLACEHOLDER in alpha[0]["name"]
    assert "alpha" not in str(alpha)


@pytest.mark.parametrize(
    ("groups", "name", "why"),
    [
        (_groups("alpha", ', job=~"alp.*"'), "alpha", "a regex over a label that carries the name"),
        (
            [*_groups("alpha"), {"name": "x", "rules": [{"record": "alpha:up", "expr": "up"}]}],
            "alpha",
            "the name in a metric name",
        ),
        (
            [{"name": "g", "rules": [{"alert": "A", "expr": 'label_replace(up, "job", "alpha", "", "")'}]}],
            "alpha",
            "a string argument",
        ),
        (
            [
                {
                    "name": "g",
                    "rules": [{"alert": "A", "expr": "up", "annotations": {"s": '{{ if eq $labels.job "alpha" }}'}}],
                }
            ],
            "alpha",
            "inside a template action",
        ),
        ([{"name": "g", "rules": [{"alert": "A", "expr": "up # alpha"}]}], "alpha", "in a comment"),
        (_groups("x"), "x", "a value the generated tests choose themselves"),
        (_groups("inf"), "inf", "a number"),
        (_groups("e-3"), "e-3", 'an exponent (le="1.e-3")'),
        (_groups("Alpha"), "Alpha", "not a service name"),
    ],
)
def test_a_name_that_cannot_be_taken_out_soundly_keeps_the_set_as_it_is(groups: list[Any], name: str, why: str) -> None:
    assert canonical(groups, name, CONSTANT_VALUES) is None, why


def test_rename_replaces_whole_words_only() -> None:
    message = 'group "alpha-alerts", rule 1: alphabet alpha_x alpha.'
    assert rename(message, "alpha", "beta") == 'group "beta-alerts", rule 1: alphabet alpha_x beta.'
