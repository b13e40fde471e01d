"""Fixtures for the deploy template: a few answer sets, each rendered once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_support import RenderedApp, deploy_answers, render_deploy

# Answer sets a reviewer would try: an internal service with consumers, the exposed edge service with
# non-default SLOs and port, and a service nobody may call yet.
ANSWER_SETS: dict[str, dict[str, object]] = {
    "orders-internal": deploy_answers(),
    "gateway-exposed": deploy_answers(
        service_name="gateway",
        owner_team="team-edge",
        domain="edge",
        consumers=[],
        http_port=9000,
        image_tag="2.4.1",
        slo_availability_target=99.95,
        slo_latency_threshold_ms=500,
        slo_latency_target=99.5,
    ),
    "ledger-no-consumers": deploy_answers(
        service_name="ledger",
        owner_team="team-money",
        domain="finance",
        consumers=[],
        image_tag="3f2c1a9",
        slo_latency_threshold_ms=1000,
    ),
}


@pytest.fixture(scope="session", params=sorted(ANSWER_SETS))
def app(request: pytest.FixtureRequest, repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> RenderedApp:
    answers = ANSWER_SETS[request.param]
    dest = tmp_path_factory.mktemp(request.param) / str(answers["service_name"])
    return RenderedApp(answers=answers, path=render_deploy(repo_root, dest, answers))
