"""`copier update` of a rendered app takes template changes into base/ and overlays/ and keeps the team's and
CI's overlay edits (Copier's three-way merge).

Copier reads template versions from git tags, so the test builds a throw-away template repository from this
checkout's files (tracked and untracked, not ignored): v0.0.1 is the template as it is, v0.0.2 changes a probe
in base/ and a comment in the prod overlay. The app lives where the lead renders it, gitops/apps/<service>/ in
a platform repository.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import copier
import pytest
import yaml
from deploy_support import DIGEST, OTHER_DIGEST, app_home, deploy_answers, kustomize, one, render_deploy

DEPLOYMENT = Path("templates/deploy/base/deployment.yaml.jinja")
PROD_KUSTOMIZATION = Path("templates/deploy/overlays/{% if image_digest %}prod{% endif %}/kustomization.yaml.jinja")
READINESS_BEFORE = "            periodSeconds: 5\n            timeoutSeconds: 2\n            failureThreshold: 2\n"
READINESS_AFTER = "            periodSeconds: 3\n            timeoutSeconds: 2\n            failureThreshold: 2\n"
NEW_COMMENT = "# Platform note (template v0.0.2): prod changes need two approvals.\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", message)


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new))


@pytest.fixture
def template_repo(repo_root: Path, tmp_path: Path) -> Path:
    tpl = tmp_path / "groundwork"
    listed = git(repo_root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for rel in filter(None, listed):
        if (repo_root / rel).is_file():
            (tpl / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo_root / rel, tpl / rel)
    git(tpl, "init", "-q", "-b", "main")
    commit_all(tpl, "template v0.0.1")
    git(tpl, "tag", "v0.0.1")
    replace_once(tpl / DEPLOYMENT, READINESS_BEFORE, READINESS_AFTER)
    replace_once(
        tpl / PROD_KUSTOMIZATION,
        "apiVersion: kustomize.config.k8s.io/v1beta1\n",
        NEW_COMMENT + "apiVersion: kustomize.config.k8s.io/v1beta1\n",
    )
    commit_all(tpl, "template v0.0.2: faster readiness probe, prod note")
    git(tpl, "tag", "v0.0.2")
    return tpl


@pytest.fixture
def app(template_repo: Path, tmp_path: Path) -> Path:
    """orders rendered at v0.0.1 into a platform repository, then edited locally by the team and by CI."""
    platform = tmp_path / "platform"
    platform.mkdir()
    git(platform, "init", "-q", "-b", "main")
    app = render_deploy(template_repo, app_home(template_repo, platform, "orders"), deploy_answers(), vcs_ref="v0.0.1")
    commit_all(platform, "orders: GitOps entry from groundwork v0.0.1")
    # The team raises prod's floor; CI promotes 0.2.0 to prod by digest.
    replace_once(app / "overlays/prod/replicas.yaml", "minReplicas: 3", "minReplicas: 5")
    kustomization = app / "overlays/prod/kustomization.yaml"
    replace_once(kustomization, f"digest: {DIGEST}", f"digest: {OTHER_DIGEST}")
    replace_once(kustomization, 'newTag: "0.1.0"', 'newTag: "0.2.0"')
    replace_once(kustomization, 'app.kubernetes.io/version: "0.1.0"', 'app.kubernetes.io/version: "0.2.0"')
    commit_all(platform, "orders: prod floor 5, promote 0.2.0")
    return app


def readiness_period(docs: list[dict[str, object]]) -> int:
    deployment = one(docs, "Deployment", "orders")
    return int(deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSeconds"])  # type: ignore[index]


@pytest.mark.slow
def test_update_takes_template_changes_and_keeps_overlay_edits(app: Path) -> None:
    assert readiness_period(kustomize(app / "overlays" / "prod")) == 5

    copier.run_update(app, defaults=True, overwrite=True, unsafe=True, vcs_ref="v0.0.2", quiet=True)

    files = {p.relative_to(app): p.read_text() for p in app.rglob("*") if p.is_file()}
    assert not [name for name, text in files.items() if "<<<<<<<" in text or name.suffix == ".rej"], "conflicts"
    assert yaml.safe_load(files[Path(".copier-answers.yml")])["_commit"] == "v0.0.2"
    # template changes arrived, in base/ and in the edited overlay
    assert READINESS_AFTER in files[Path("base/deployment.yaml")]
    assert files[Path("overlays/prod/kustomization.yaml")].count(NEW_COMMENT) == 1
    # local edits stayed
    prod = kustomize(app / "overlays" / "prod")
    assert readiness_period(prod) == 3
    assert one(prod, "HorizontalPodAutoscaler")["spec"]["minReplicas"] == 5
    image = one(prod, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"ghcr.io/acme/orders:0.2.0@{OTHER_DIGEST}"
    assert one(prod, "Deployment")["metadata"]["labels"]["app.kubernetes.io/version"] == "0.2.0"
    # untouched environments simply follow the template
    staging = kustomize(app / "overlays" / "staging")
    assert readiness_period(staging) == 3
    assert one(staging, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"].endswith(DIGEST)


@pytest.mark.slow
def test_update_with_a_new_consumer_changes_both_policies_and_keeps_edits(app: Path) -> None:
    copier.run_update(
        app,
        data={"consumers": ["checkout", "gateway", "returns"]},
        defaults=True,
        overwrite=True,
        unsafe=True,
        vcs_ref="v0.0.2",
        quiet=True,
    )
    prod = kustomize(app / "overlays" / "prod")
    principals = one(prod, "AuthorizationPolicy")["spec"]["rules"][0]["from"][0]["source"]["principals"]
    assert principals[-1] == "cluster.local/ns/returns/sa/returns"
    allow = one(prod, "NetworkPolicy", "orders-ingress")["spec"]["ingress"][0]["from"][0]["namespaceSelector"]
    assert allow["matchExpressions"][0]["values"] == ["checkout", "gateway", "returns"]
    assert one(prod, "HorizontalPodAutoscaler")["spec"]["minReplicas"] == 5
    assert yaml.safe_load((app / ".copier-answers.yml").read_text())["consumers"] == ["checkout", "gateway", "returns"]
