"""The deploy template's own questions refuse bad answers in one clear line, and nothing is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from deploy_support import app_home, deploy_answers, kustomize, one, render_deploy

VALIDATION = re.compile(r"^Validation error for question '(?P<question>[^']+)': (?P<message>.*)$", re.S)

BAD_ANSWERS = [
    pytest.param({"consumers": "checkout"}, "consumers must be a YAML list of service names", id="consumers-not-list"),
    pytest.param({"consumers": ["Checkout"]}, "consumers entry 'Checkout' is not a service name", id="consumer-case"),
    pytest.param({"consumers": ["orders"]}, "consumers lists 'orders', the service itself", id="consumer-self"),
    pytest.param({"consumers": ["a", "a"]}, "consumers lists a service twice", id="consumer-twice"),
    pytest.param(
        {"image_digest": "sha256:abc"},
        "image_digest 'sha256:abc' is not an image digest: write sha256: followed by 64 lowercase hex digits",
        id="short-digest",
    ),
    pytest.param({"image_digest": "0" * 64}, "is not an image digest", id="digest-no-algorithm"),
    pytest.param({"image_tag": "latest"}, "image_tag 'latest' is mutable", id="tag-latest"),
    pytest.param({"image_tag": "-rc1"}, "image_tag '-rc1' cannot tag the image and label the version", id="tag-dash"),
    pytest.param({"image_tag": "v" * 64}, "cannot tag the image and label the version", id="tag-too-long"),
    pytest.param(
        {"slo_availability_target": 100},
        "slo_availability_target 100.0 is out of range: use a percentage from 95 to 99.99",
        id="availability-100",
    ),
    pytest.param({"slo_availability_target": 90}, "slo_availability_target 90.0 is out of range", id="availability-90"),
    pytest.param({"slo_latency_target": 99.999}, "slo_latency_target 99.999 is out of range", id="latency-target"),
    pytest.param(
        {"slo_latency_threshold_ms": 400},
        "slo_latency_threshold_ms 400 is not a histogram bucket boundary: use one of 1, 5, 10, 25, 50, 100, 200, 250,"
        " 300, 500, 750, 1000, 2500, 5000, 10000",
        id="latency-not-a-bucket",
    ),
    pytest.param(
        {"expose": True, "public_host": "Shop_Example"}, "public_host 'Shop_Example' is not a DNS host name", id="host"
    ),
]


@pytest.mark.parametrize(("override", "message"), BAD_ANSWERS)
def test_bad_answer_is_refused_in_one_clear_line(
    override: dict[str, object], message: str, repo_root: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "app"
    with pytest.raises(ValueError, match="Validation error") as refused:
        render_deploy(repo_root, dest, deploy_answers(**override))
    match = VALIDATION.match(str(refused.value))
    assert match, str(refused.value)
    assert match["question"] in override
    assert message in match["message"]
    assert "\n" not in match["message"].strip(), "one line"
    assert not dest.exists() or not any(dest.iterdir()), "a refused answer must not leave a half-written app"


def test_unreleased_service_gets_only_a_dev_overlay(repo_root: Path, tmp_path: Path) -> None:
    """Staging and prod pin images by digest; before the first release there is none, so they don't exist yet."""
    answers = deploy_answers()
    del answers["image_digest"]
    app = render_deploy(repo_root, app_home(repo_root, tmp_path, "orders"), answers)
    assert sorted(p.name for p in (app / "overlays").iterdir()) == ["dev"]
    deployment = one(kustomize(app / "overlays" / "dev"), "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/orders:0.1.0"


def test_exposed_service_admits_the_ingress_gateway(repo_root: Path, tmp_path: Path) -> None:
    """Any service may be exposed (not only one named 'gateway'); its public host reaches it via the gateway."""
    app = render_deploy(
        repo_root,
        app_home(repo_root, tmp_path, "storefront"),
        deploy_answers(service_name="storefront", consumers=[], expose=True, public_host="shop.acme.example"),
    )
    docs = kustomize(app / "overlays" / "prod")
    principals = one(docs, "AuthorizationPolicy")["spec"]["rules"][0]["from"][0]["source"]["principals"]
    assert principals == ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"]
    assert one(docs, "VirtualService")["spec"]["hosts"] == [
        "storefront.storefront.svc.cluster.local",
        "shop.acme.example",
    ]
    answers = yaml.safe_load((app / ".copier-answers.yml").read_text())
    assert (answers["expose"], answers["public_host"]) == (True, "shop.acme.example")


def test_service_template_asks_none_of_the_deploy_questions(repo_root: Path, tmp_path: Path) -> None:
    project = render_deploy(
        repo_root,
        tmp_path / "svc",
        {"template": "service", "service_name": "orders", "owner_team": "team-orders", "domain": "commerce"},
    )
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    deploy_only = {"consumers", "expose", "public_host", "image_tag", "image_digest", "slo_availability_target"}
    assert deploy_only.isdisjoint(answers)
