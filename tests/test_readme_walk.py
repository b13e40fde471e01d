"""Acceptance 1 (issue 11): README's quickstart and each user's commands, exactly as README writes them, on a
fresh clone: every step exits 0, and the gate and readiness stay green.

The commands are parsed from README.md itself (its sh block and every inline code span that starts with a
program), so a command README gains, loses or rewrites fails `test_every_readme_command_is_walked_or_excused`
until WALK or NOT_RUN says what happens to it. The walk runs in a scratch folder:

- `upstream.git` is a bare clone of this checkout's HEAD (with its tags), standing in for GitHub: a git config
  of the walk's own (GIT_CONFIG_GLOBAL) sends https://github.com/acme/{platform,groundwork}.git there
  (`url.<upstream>.insteadOf`), so the platform clone's origin, README's `gh:<org>/groundwork` (<org> = acme)
  and every recorded `_src_path` are the URLs a user would have, and `copier update` fetches them;
- `platform/` is the fresh clone where the platform and service teams run README's commands; `groundwork` and
  `copier` are its own `.venv`'s, made by README's first `uv run`;
- groundwork-runtime is not published where this runs: UV_FIND_LINKS (tests/conftest.py) stands in for the
  package index, as for every rendered service in this suite.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PROGRAMS = re.compile(r"^(uv run |uv lock|uv sync|groundwork |copier |make |git |scripts/[a-z]|\.ci/)")
ORG = "acme"
NEW_EXAMPLE = (
    "uv run groundwork new service orders --team team-commerce --domain commerce --calls inventory,payment "
    "--consumers gateway --dest ../orders"
)
COPY_EXAMPLE = (
    "copier copy --defaults --vcs-ref v0.3.0 --data service_name=orders --data owner_team=team-commerce "
    "--data domain=commerce gh:<org>/groundwork orders"
)
PROMOTE_EXAMPLE = "groundwork promote order --from dev --to staging --commit"
# README's release (the copier example's --vcs-ref) and the newer one the walk publishes before `copier update`.
README_TAG = COPY_EXAMPLE.split("--vcs-ref ", 1)[1].split()[0]
_MAJOR, _MINOR, _PATCH = (int(part) for part in README_TAG[1:].split("."))
NEWER_TAG = f"v{_MAJOR}.{_MINOR}.{_PATCH + 1}"

# Commands README shows that the walk does not run, and why. Each is a synopsis whose concrete form is walked,
# a name in a sentence, or needs what this machine cannot give (a cluster, Docker, GitHub, a shell profile).
NOT_RUN: dict[str, str] = {
    "make up": "starts the sandbox cluster: tests/sandbox/test_sandbox_e2e.py runs `groundwork up --env sandbox` "
    "on a clone until every dev Application is Synced and Healthy",
    "make test": "is this suite (CI's .ci/run runs it)",
    "make test-fast": "is a part of this suite",
    "uv run pytest tests/<file>.py": "a synopsis: any file of this suite",
    "make down": "stops what `make up` started; tests/sandbox/test_sandbox_e2e.py runs `groundwork down`",
    "make up ENV=kind": "needs Docker, kind and the Pulumi CLI: the e2e test in tests/infra/, skipped without them",
    ".ci/run": "is CI itself",
    "scripts/install-tools": "installs Debian packages as root; CI runs it before this suite",
    "groundwork up": "a name in a sentence: `groundwork up --dry-run` is walked, the sandbox tests run `up`",
    "groundwork down": "a name in a sentence: the sandbox tests run it",
    "groundwork conform": "a name in a sentence: tests/conform/ runs it against both templates' services",
    "groundwork conform -- <command that starts the service>": "a synopsis: tests/conform/ runs it",
    "groundwork up --env sandbox": "starts the sandbox: tests/sandbox/test_sandbox_e2e.py",
    "groundwork up --env sandbox|kind|eks": "a synopsis: sandbox in tests/sandbox/, kind e2e, eks under mocks",
    "groundwork down --env ...": "a synopsis: tests/sandbox/test_sandbox_e2e.py runs it after up",
    "groundwork doctor": "its verdict is this machine's tools (exit 3 without Docker, kind, pulumi): "
    "tests/infra/ judges it with fakes",
    "groundwork doctor --env sandbox": "exit 3 until the sandbox's engines are built (20 minutes of CPU): "
    "tests/sandbox/ runs it",
    "groundwork sandbox build": "builds the engines from Go modules (20 minutes of CPU): tests/sandbox/",
    "groundwork sandbox build|status": "a synopsis: tests/sandbox/",
    "groundwork check [PATH] [--json]": "a synopsis: `groundwork check` is walked",
    "groundwork readiness [--format table|markdown|json] [--strict] [--fail-under N]": "a synopsis: "
    "`groundwork readiness --strict` is walked",
    "groundwork pr-comment": "a name in a sentence: the pull-request workflow runs it with --base/--head; "
    "tests/deploy_flow/test_pr_comment.py",
    "groundwork new": "shows that a group prints its help (exit 2, a missing command): tests/test_cli_surface.py",
    "groundwork COMMAND --help": "a synopsis: tests/test_cli_surface.py runs every command's --help",
    "groundwork --install-completion": "writes into the user's shell profile; `--show-completion` is walked",
    "groundwork promote <service> --from dev --to staging --commit": f"a synopsis: walked as `{PROMOTE_EXAMPLE}`",
    "copier update": "a name in a sentence: walked as `copier update --defaults`",
}


@dataclass(frozen=True)
class Step:
    command: str  # as README writes it
    where: str  # platform | service (made by `new service`) | copies | copied | entry (gitops/apps/orders)
    run_as: str = ""  # when it differs from `command`: only placeholders filled in


WALK: list[Step] = [
    Step("groundwork readiness", "platform"),
    Step("groundwork new service ... --plan", "platform", NEW_EXAMPLE.replace(" --dest", " --plan --dest")),
    Step(NEW_EXAMPLE, "platform"),
    Step("groundwork check", "platform"),
    Step("groundwork readiness --strict", "platform"),
    Step("groundwork check --changed-since <base>", "platform", "groundwork check --changed-since HEAD~1"),
    Step(PROMOTE_EXAMPLE, "platform"),
    Step("groundwork dora", "platform"),
    Step("groundwork up --dry-run", "platform"),
    Step("groundwork --show-completion", "platform"),
    Step(COPY_EXAMPLE, "copies", COPY_EXAMPLE.replace("<org>", ORG)),
    Step("uv lock", "copied"),
    Step("uv sync --locked", "copied"),
    Step("git init && git add -A && git commit -m init", "copied"),
    # a newer groundwork tag appears upstream here
    Step("copier update --defaults", "copied"),
    Step("uv lock", "copied"),
    Step("uv sync --locked", "copied"),
    Step("copier update --defaults", "service"),
    Step("uv lock", "service"),
    Step("copier update --defaults", "entry"),
    Step("groundwork check", "platform"),
    Step("groundwork readiness --strict", "platform"),
]
NEW_TAG_BEFORE = WALK.index(Step("copier update --defaults", "copied"))


def readme_commands() -> list[str]:
    """Every command README shows: its sh blocks' lines and the inline code spans that start with a program."""
    text = README.read_text(encoding="utf-8")
    found: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        found += [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    inline = re.sub(r"```.*?```", "", text, flags=re.S)
    found += [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", inline)]
    commands = [c for c in found if PROGRAMS.match(c)]
    return list(dict.fromkeys(commands))


def test_every_readme_command_is_walked_or_excused() -> None:
    commands = set(readme_commands())
    walked = {step.command for step in WALK}
    assert not walked & set(NOT_RUN), "a command is both walked and excused"
    assert sorted(commands - walked - set(NOT_RUN)) == [], "README commands neither walked nor excused"
    assert sorted((walked | set(NOT_RUN)) - commands) == [], "walked or excused, but no longer in README"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_readme_walk_on_a_fresh_clone(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream.git"
    _git(tmp_path, "clone", "-q", "--bare", str(REPO), str(upstream))
    if README_TAG not in _git(upstream, "tag").split():  # a CI clone may come without tags: README's names HEAD
        _git(upstream, "tag", README_TAG, "HEAD")
    gitconfig = tmp_path / "gitconfig"
    for name in ("platform", "groundwork"):
        key = f"url.{upstream.as_uri()}.insteadOf"
        subprocess.run(
            ["git", "config", "-f", str(gitconfig), "--add", key, f"https://github.com/{ORG}/{name}.git"], check=True
        )
    subprocess.run(["git", "config", "-f", str(gitconfig), "user.name", "Walker"], check=True)
    subprocess.run(["git", "config", "-f", str(gitconfig), "user.email", "walker@example.com"], check=True)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(gitconfig), "NO_COLOR": "1", "SHELL": "/bin/bash"}
    env.pop("VIRTUAL_ENV", None)
    platform = tmp_path / "platform"
    subprocess.run(["git", "clone", "-q", f"https://github.com/{ORG}/platform.git", str(platform)], env=env, check=True)
    env["PATH"] = f"{platform / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    (tmp_path / "copies").mkdir()
    where = {
        "platform": platform,
        "service": tmp_path / "orders",
        "copies": tmp_path / "copies",
        "copied": tmp_path / "copies" / "orders",
        "entry": platform / "gitops" / "apps" / "orders",
    }

    for index, step in enumerate(WALK):
        if index == NEW_TAG_BEFORE:
            _commit_platform(platform, "platform: orders, and order promoted to staging")
            _release_newer_template(upstream, tmp_path / "release", env)
        if step.where == "entry":
            _commit_platform(platform, "platform: before copier update of gitops/apps/orders")
        command = step.run_as or step.command
        # `; exit $?` keeps bash as the command's parent (no exec): `--show-completion` prints the script of the
        # shell that runs it, which must not depend on what started the tests (make's recipes run under sh).
        done = subprocess.run(
            ["bash", "-c", f"{command}; exit $?"], cwd=where[step.where], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"step {index} `{command}` in {step.where}:\n{done.stdout[-3000:]}{done.stderr}"
        _after(step, where, done.stdout)


def _commit_platform(platform: Path, message: str) -> None:
    _git(platform, "add", "-A")
    if _git(platform, "status", "--porcelain"):
        _git(platform, "commit", "-q", "-m", message)


NEWER_LINE = "This line arrived with the newer groundwork tag."


def _release_newer_template(upstream: Path, work: Path, env: dict[str, str]) -> None:
    """The platform team tags a newer groundwork: one more line in both templates' READMEs."""
    subprocess.run(["git", "clone", "-q", str(upstream), str(work)], env=env, check=True, capture_output=True)
    for readme in ("templates/service/README.md.jinja", "templates/deploy/README.md.jinja"):
        path = work / readme
        title, rest = path.read_text(encoding="utf-8").split("\n", 1)
        path.write_text(f"{title}\n\n{NEWER_LINE}\n{rest}", encoding="utf-8")
    for args in (("add", "-A"), ("commit", "-q", "-m", "newer templates"), ("tag", NEWER_TAG), ("push", "-q")):
        subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)
    subprocess.run(["git", "push", "-q", "origin", NEWER_TAG], cwd=work, env=env, check=True, capture_output=True)


def _after(step: Step, where: dict[str, Path], out: str) -> None:
    """What a user would look at after the step, beyond its exit code."""
    folder = where[step.where]
    if step.command == NEW_EXAMPLE:
        answers = yaml.safe_load((where["service"] / ".copier-answers.yml").read_text())
        assert answers["_src_path"] == f"https://github.com/{ORG}/platform.git", answers["_src_path"]
        assert _git(where["service"], "status", "--porcelain") == ""
        assert (where["service"] / "uv.lock").is_file()
    elif step.command == PROMOTE_EXAMPLE:
        assert "order: staging now runs ghcr.io/acme/order:0.1.1@sha256:" in out, out
    elif step.command.startswith("copier update"):
        answers = yaml.safe_load((folder / ".copier-answers.yml").read_text())
        assert answers["_commit"] == NEWER_TAG, f"{step.where}: {answers['_commit']}"
        assert NEWER_LINE in (folder / "README.md").read_text()
        conflicts = [p for p in folder.rglob("*") if p.suffix == ".rej" and ".venv" not in p.parts]
        assert not conflicts
    elif step.command == "groundwork readiness --strict":
        assert "not yet proven" in out.lower() or "6/6" in out, out
    elif step.command.startswith("git init"):
        assert _git(folder, "status", "--porcelain") == ""
    elif step.run_as.startswith("copier copy"):
        assert (where["copied"] / ".copier-answers.yml").is_file()
    elif step.command == "groundwork --show-completion":
        assert "complete -o default -F _groundwork_completion groundwork" in out  # SHELL is bash
