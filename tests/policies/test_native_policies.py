"""groundwork.policy: the cross-resource checks checkov cannot judge, against their fixtures and edge cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from groundwork.errors import GroundworkError
from groundwork.policy.label_selectors import labels_subset, selector_matches
from groundwork.policy.native import NATIVE_CHECKS, load_rendered_dir, run_native_checks
from groundwork.policy.pss import CONTROLS, PLATFORM_CHECKS
from groundwork.policy.violation import NativeCheck

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO_ROOT / "policies" / "native" / "fixtures"
EXAMPLES_DIR = REPO_ROOT / "policies" / "checkov" / "examples"
ALL_CHECKS = (*NATIVE_CHECKS, *(c.check for c in CONTROLS), *PLATFORM_CHECKS)
CHECKS = {check.title: check for check in ALL_CHECKS}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]


def test_check_ids_and_titles_are_unique() -> None:
    assert len({c.check_id for c in ALL_CHECKS}) == len(ALL_CHECKS)
    assert len(CHECKS) == len(ALL_CHECKS)


def test_every_native_check_has_passing_and_failing_fixtures() -> None:
    folders = {p.name for p in FIXTURES_DIR.iterdir() if p.is_dir()}
    assert folders == set(CHECKS), "one fixtures/<title>/ folder per native check, and no other"
    for title in CHECKS:
        kinds = {p.name.split("_", 1)[0] for p in (FIXTURES_DIR / title).glob("*.yaml")}
        assert kinds == {"pass", "fail"}, f"fixtures/{title}/ needs pass_*.yaml and fail_*.yaml files only"


@pytest.mark.parametrize("fixture", sorted(FIXTURES_DIR.glob("*/*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_gets_its_verdict(fixture: Path) -> None:
    check: NativeCheck = CHECKS[fixture.parent.name]
    docs = documents(fixture)
    assert docs, f"{fixture} holds no manifest"
    problems = check.judge(docs)
    if fixture.name.startswith("pass_"):
        assert problems == []
    else:
        assert problems, f"{check.check_id} let {fixture.name} through"
        for resource, message, *_ in problems:
            assert resource
            assert message
            assert "\n" not in message


def test_the_reference_service_passes_every_native_check() -> None:
    groups = load_rendered_dir(EXAMPLES_DIR)
    assert run_native_checks({"orders__prod.yaml": groups["orders__prod.yaml"]}) == []


def test_a_budget_of_another_environment_does_not_count() -> None:
    """Groups are judged apart: staging's PDB never satisfies prod's Deployment (checkov's graph would)."""
    with_budget = documents(FIXTURES_DIR / "PdbForReplicatedWorkload" / "pass_hpa_with_pdb.yaml")
    without_budget = [d for d in with_budget if d["kind"] != "PodDisruptionBudget"]
    violations = run_native_checks(
        {"orders__staging.yaml": with_budget, "orders__prod.yaml": without_budget},
        checks=[CHECKS["PdbForReplicatedWorkload"]],
    )
    assert [(v.check_id, v.group, v.resource) for v in violations] == [
        ("GW_NATIVE_1", "orders__prod.yaml", "Deployment orders/orders")
    ]
    assert "at least 2 replicas" in violations[0].message
    assert str(violations[0]).startswith("GW_NATIVE_1 orders__prod.yaml Deployment orders/orders: ")


def test_the_hpa_minimum_overrides_spec_replicas() -> None:
    docs = documents(FIXTURES_DIR / "PdbForReplicatedWorkload" / "fail_hpa_without_pdb.yaml")
    docs[0]["spec"]["replicas"] = 5  # the HPA owns the count: its minReplicas (1 below) is what can remain
    docs[1]["spec"]["minReplicas"] = 1
    assert CHECKS["PdbForReplicatedWorkload"].judge(docs) == []


def test_a_daemonset_needs_an_authorization_policy_but_no_budget() -> None:
    daemonset = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "agent"},
        "spec": {"template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": []}}},
    }
    assert CHECKS["PdbForReplicatedWorkload"].judge([daemonset]) == []
    assert [r for r, _ in CHECKS["AuthorizationPolicyPerWorkload"].judge([daemonset])] == ["DaemonSet agent/agent"]


def test_load_rendered_dir_names_groups_by_file_and_skips_empty_documents(tmp_path: Path) -> None:
    (tmp_path / "orders__dev.yaml").write_text("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: orders}\n---\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert load_rendered_dir(tmp_path) == {
        "orders__dev.yaml": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "orders"}}]
    }


def test_load_rendered_dir_rejects_invalid_yaml_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "orders__prod.yaml").write_text("kind: Deployment\nmetadata: {name: [unclosed\n")
    with pytest.raises(GroundworkError) as raised:
        load_rendered_dir(tmp_path)
    message = str(raised.value)
    assert "orders__prod.yaml:" in message
    assert "is not valid YAML" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {"app": "a"}, True),  # an empty selector selects everything
        (None, {"app": "a"}, False),  # a missing one selects nothing
        ({"matchLabels": {"app": "a"}}, {"app": "a", "tier": "web"}, True),
        ({"matchLabels": {"app": "a"}}, {"app": "b"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]}, {"app": "b"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]}, {}, False),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}, {}, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}, {"app": "a"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, {"app": "x"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {"app": "x"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Matches"}]}, {"app": "x"}, False),
        ({"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "t", "operator": "Exists"}]}, {"app": "a"}, False),
    ],
)
def test_label_selectors(selector: Any, labels: dict[str, str], expected: bool) -> None:
    assert selector_matches(selector, labels) is expected


def test_istio_workload_selectors_need_labels() -> None:
    assert labels_subset({"app": "a"}, {"app": "a", "v": "1"})
    assert not labels_subset({}, {"app": "a"})  # Istio: no selector means the whole namespace, not this workload
    assert not labels_subset({"app": "a"}, {"app": "b"})
