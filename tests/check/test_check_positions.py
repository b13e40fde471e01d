"""Where the gate points: findings on the source line through kustomize (patches, JSON 6902, inline patches,
generators), YAML errors and duplicate keys on their own file and line, kustomize's scaling limit with the
document count, object size limits, and files no kustomization reaches. Real kustomize renders each tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from groundwork.check import render
from groundwork.check.checkov_fields import field_for
from groundwork.check.discover import discover
from groundwork.check.guardrails import pss_findings
from groundwork.check.limits import CONFIG_DATA_RULE, OBJECT_RULE, size_findings, unreached_findings
from groundwork.check.model import Finding, Target
from groundwork.check.positions import Positions
from groundwork.check.render import Rendered, find_kubectl, render_stream

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "shop"},
    "spec": {
        "selector": {"matchLabels": {"app": "shop"}},
        "template": {
            "metadata": {"labels": {"app": "shop"}},
            "spec": {
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "shop",
                        "image": "ghcr.io/acme/shop:1.0.0",
                        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                    }
                ],
            },
        },
    },
}


def _write(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


def _app(tmp_path: Path, overlay: dict[str, Any], files: dict[str, Any] | None = None) -> Path:
    """gitops/apps/shop: a base with the Deployment, and a dev overlay with `overlay` as its kustomization."""
    gitops = tmp_path / "gitops"
    base = gitops / "apps" / "shop" / "base"
    _write(base / "deployment.yaml", DEPLOYMENT)
    _write(base / "kustomization.yaml", {"namespace": "shop", "resources": ["deployment.yaml"]})
    dev = gitops / "apps" / "shop" / "overlays" / "dev"
    _write(dev / "kustomization.yaml", {"resources": ["../../base"], **overlay})
    for name, content in (files or {}).items():
        _write(dev / name, content)
    return gitops


def render_all(targets: list[Target], kubectl: Path, root: Path) -> Rendered:
    result = Rendered()
    for rendered in render_stream(targets, kubectl, root):
        result.documents += rendered.documents
        result.findings += rendered.findings
    return result


def _placed(gitops: Path) -> list[Finding]:
    targets = discover(gitops)
    rendered = render_all(targets, find_kubectl(), gitops.parent)
    positions = Positions()
    return [positions.place(f) for f in [*rendered.findings, *pss_findings(rendered.documents)]]


def test_a_field_set_by_an_overlay_patch_is_blamed_on_the_patch(tmp_path: Path) -> None:
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "shop"},
        "spec": {"template": {"spec": {"containers": [{"name": "shop", "securityContext": {"privileged": True}}]}}},
    }
    gitops = _app(tmp_path, {"patches": [{"path": "privileged.yaml"}]}, {"privileged.yaml": patch})
    [finding] = _placed(gitops)
    assert finding.rule == "PSS_BASELINE_PRIVILEGED_CONTAINERS"
    patch_file = gitops / "apps/shop/overlays/dev/privileged.yaml"
    assert (finding.file, finding.line) == (patch_file, _line_of(patch_file, "privileged: true"))


def test_a_missing_field_of_the_base_is_blamed_on_the_base_container(tmp_path: Path) -> None:
    gitops = _app(tmp_path, {})
    base_file = gitops / "apps/shop/base/deployment.yaml"
    document = yaml.safe_load(base_file.read_text(encoding="utf-8"))
    del document["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"]
    _write(base_file, document)
    [finding] = _placed(gitops)
    assert finding.rule == "PSS_RESTRICTED_PRIVILEGE_ESCALATION"
    assert (finding.file, finding.line) == (base_file, _line_of(base_file, "- name: shop"))


def test_json6902_and_inline_patches_are_blamed_on_their_operation(tmp_path: Path) -> None:
    ops = [{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": True}]
    gitops = _app(tmp_path, {}, {"host-network.yaml": ops})
    _write(
        gitops / "apps/shop/overlays/dev/kustomization.yaml",
        "resources:\n  - ../../base\n"
        "patches:\n"
        "  - path: host-network.yaml\n"
        "    target: {kind: Deployment, name: shop}\n"
        "  - target: {kind: Deployment, name: shop}\n"
        "    patch: |\n"
        "      - op: add\n"
        "        path: /spec/template/spec/hostPID\n"
        "        value: true\n",
    )
    findings = _placed(gitops)
    by_field = {f.message.split(" ")[1]: f for f in findings}
    ops_file = gitops / "apps/shop/overlays/dev/host-network.yaml"
    assert (by_field["spec.hostNetwork"].file, by_field["spec.hostNetwork"].line) == (
        ops_file,
        _line_of(ops_file, "path: /spec/template/spec/hostNetwork"),
    )
    kustomization = gitops / "apps/shop/overlays/dev/kustomization.yaml"
    assert (by_field["spec.hostPID"].file, by_field["spec.hostPID"].line) == (
        kustomization,
        _line_of(kustomization, "path: /spec/template/spec/hostPID"),
    )


def test_yaml_error_in_a_patch_names_the_patch_and_its_real_line(tmp_path: Path) -> None:
    broken = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  replicas: [1\n"
    gitops = _app(tmp_path, {"patches": [{"path": "broken.yaml"}]}, {"broken.yaml": broken})
    [finding] = _placed(gitops)
    assert finding.rule == "yaml"
    assert finding.file == gitops / "apps/shop/overlays/dev/broken.yaml"
    assert finding.line == 6  # where the flow sequence that never closes begins (not the end of the file)
    assert finding.message.startswith("invalid YAML: ")


def test_duplicate_key_names_the_file_and_both_lines(tmp_path: Path) -> None:
    gitops = _app(tmp_path, {})
    base_file = gitops / "apps/shop/base/deployment.yaml"
    text = base_file.read_text(encoding="utf-8")
    base_file.write_text(text.replace("kind: Deployment\n", "kind: Deployment\nkind: Deployment\n"), encoding="utf-8")
    findings = _placed(gitops)
    assert [(f.rule, f.file, f.line) for f in findings] == [
        ("yaml-duplicate-key", base_file, _line_of(base_file, "kind: Deployment") + 1)
    ]
    assert f"first at line {_line_of(base_file, 'kind: Deployment')}" in findings[0].message


def test_a_timeout_is_reported_as_kustomize_scaling_limit_with_the_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maps = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"m{n}"}, "data": {"n": str(n)}}
        for n in range(500)
    ]
    gitops = _app(tmp_path, {})
    base = gitops / "apps/shop/base"
    _write(base / "maps.yaml", yaml.safe_dump_all(maps))
    _write(base / "kustomization.yaml", {"namespace": "shop", "resources": ["deployment.yaml", "maps.yaml"]})
    monkeypatch.setattr(render, "RENDER_TIMEOUT_SECONDS", 0.001)  # stands in for 300 s on ~9,000 documents
    [finding] = _placed(gitops)
    assert finding.rule == "kustomize-scale"
    assert "the overlay reaches 501 documents in 4 files" in finding.message
    assert "did not finish" not in finding.message
    assert finding.file == gitops / "apps/shop/overlays/dev/kustomization.yaml"


def test_size_limits_and_a_generated_configmap_blamed_on_its_generator(tmp_path: Path) -> None:
    overlay = {"configMapGenerator": [{"name": "big", "files": ["blob.txt"]}]}
    gitops = _app(tmp_path, overlay, {"blob.txt": "x" * (1024 * 1024 + 1)})
    rendered = render_all(discover(gitops), find_kubectl(), gitops.parent)
    huge = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "annotations": {"a": "y" * (1600 * 1024)}}}
    documents = [*rendered.documents, render.Document(rendered.documents[0].target, gitops, huge)]
    positions = Positions()
    findings = {f.rule: positions.place(f) for f in size_findings(documents)}
    assert set(findings) == {CONFIG_DATA_RULE, OBJECT_RULE}
    kustomization = gitops / "apps/shop/overlays/dev/kustomization.yaml"
    assert (findings[CONFIG_DATA_RULE].file, findings[CONFIG_DATA_RULE].line) == (
        kustomization,
        _line_of(kustomization, "- name: big"),
    )
    assert "1.0 MiB, over the 1 MiB" in findings[CONFIG_DATA_RULE].message
    small = [d for d in rendered.documents if d.kind == "Deployment"]
    assert size_findings(small) == []


def test_a_file_no_kustomization_reaches_is_reported(tmp_path: Path) -> None:
    gitops = _app(tmp_path, {})
    _write(gitops / "apps/shop/base/forgotten.yaml", {"apiVersion": "v1", "kind": "ConfigMap"})
    _write(gitops / "apps/shop/catalog-info.yaml", {"apiVersion": "backstage.io/v1alpha1", "kind": "Component"})
    _write(gitops / "apps/shop/.copier-answers.yml", {"service_name": "shop"})
    component = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component", "resources": ["pdb.yaml"]}
    _write(gitops / "apps/shop/components/ha/kustomization.yaml", component)  # opt-in: no overlay uses it yet
    _write(gitops / "apps/shop/components/ha/pdb.yaml", {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget"})
    findings = unreached_findings(discover(gitops), gitops / "apps")
    assert [(f.app, f.file.name, f.rule, f.line) for f in findings] == [("shop", "forgotten.yaml", "unreached-file", 1)]


def test_an_image_check_is_placed_on_the_overlay_images_entry(tmp_path: Path) -> None:
    gitops = _app(tmp_path, {"images": [{"name": "ghcr.io/acme/shop", "newTag": "latest"}]})
    rendered = render_all(discover(gitops), find_kubectl(), gitops.parent)
    [deployment] = [d for d in rendered.documents if d.kind == "Deployment"]
    path = field_for("CKV_K8S_14", deployment.body)
    assert path == ("spec", "template", "spec", "containers", 0, "image")
    assert field_for("CKV_K8S_9", deployment.body) == ()
    kustomization = gitops / "apps/shop/overlays/dev/kustomization.yaml"
    assert Positions().locate(deployment, path) == (kustomization, _line_of(kustomization, "- name: ghcr.io"))
