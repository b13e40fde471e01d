"""What the deploy-flow tests share: temporary git repositories with known commit times, overlay files."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def digest(seed: str) -> str:
    """A well-formed image digest, different for every seed."""
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


class Repo:
    """A git repository in a temporary folder; every commit gets the time it is given (author and committer)."""

    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", f"--initial-branch={branch}")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, when: str | None = None) -> str:
        env = {**os.environ, **IDENTITY}
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], capture_output=True, text=True, env=env, check=False
        )
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout

    def write(self, relative: str, text: str) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def commit(self, message: str, when: str, *paths: str) -> str:
        self.git("add", "--all", *paths)
        self.git("commit", "--quiet", "--allow-empty", "-m", message, when=when)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()


def overlay_text(service: str, environment: str, tag: str, digest: str | None, replicas: int = 1) -> str:
    """A kustomization shaped like the deploy template's overlays (comments, quoted tag and version label)."""
    digest_line = f"\n    digest: {digest}" if digest else ""
    return (
        f"# {environment}: the image {'by digest' if digest else 'by tag'}.\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        "resources:\n"
        "  - ../../base\n"
        "labels:\n"
        "  - pairs:\n"
        f"      groundwork.dev/environment: {environment}\n"
        "    includeTemplates: true\n"
        "  # Promotion rewrites the version label and the image entry together.\n"
        "  - pairs:\n"
        f'      app.kubernetes.io/version: "{tag}"\n'
        "    includeTemplates: true\n"
        "images:\n"
        f"  - name: ghcr.io/acme/{service}\n"
        f'    newTag: "{tag}"{digest_line}\n'
        f"replicas:\n"
        f"  - name: {service}\n"
        f"    count: {replicas}\n"
    )


def overlay_path(service: str, environment: str) -> str:
    return f"gitops/apps/{service}/overlays/{environment}/kustomization.yaml"


def trailers(service: str, environment: str, digest: str, built_at: str, source: str = "0" * 40) -> str:
    return (
        f"Service: {service}\nEnvironment: {environment}\nSource-Commit: {source}\n"
        f"Image-Digest: {digest}\nImage-Built-At: {built_at}"
    )
