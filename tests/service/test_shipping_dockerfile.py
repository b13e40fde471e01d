"""The generated Dockerfile and .dockerignore: what a reviewer checks by eye, then the build replayed on the host.

There is no Docker engine here, so the slow test replays the Dockerfile's build stage outside a container:
the build context is exactly what .dockerignore lets through, each COPY copies from it, each RUN runs with the
stage's ENV, and the service then starts from the resulting environment alone (as the runtime stage does) and
answers /livez. That proves the context, the `uv sync --locked` steps and the CMD's module fit together.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from shipping_support import (
    OTHER_REGISTRY,
    TWO_DOWNSTREAMS,
    Instruction,
    build_context,
    dockerfile_instructions,
    dockerignore_excludes,
    env_assignments,
    render,
)

from groundwork.scaffold import lock_dependencies

DIGEST_PINNED = re.compile(r"^(?P<name>[a-z0-9./-]+):(?P<tag>[A-Za-z0-9_.-]+)@sha256:[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("shipping-docker") / "checkout", TWO_DOWNSTREAMS)


@pytest.fixture(scope="module")
def instructions(project: Path) -> list[Instruction]:
    return dockerfile_instructions((project / "Dockerfile").read_text(encoding="utf-8"))


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def test_every_image_is_pinned_by_tag_and_digest(project: Path, instructions: list[Instruction]) -> None:
    images = [i.arguments.split()[0] for i in instructions if i.keyword == "FROM"]
    images += [
        flag.removeprefix("--from=")
        for i in instructions
        if i.keyword == "COPY"
        for flag in i.arguments.split()
        if flag.startswith("--from=") and ("/" in flag or ":" in flag)
    ]
    assert len(images) >= 3, f"expected a build stage, a runtime stage and the uv image, got {images}"
    for image in images:
        match = DIGEST_PINNED.match(image)
        assert match, f"{image} is not pinned as name:tag@sha256:<digest>"
        assert match["tag"] != "latest", f"{image} uses the mutable 'latest' tag"
    assert ":latest" not in (project / "Dockerfile").read_text(encoding="utf-8")


def test_multi_stage_build_with_locked_uv_sync_and_bytecode(instructions: list[Instruction]) -> None:
    stages = [i.arguments.split() for i in instructions if i.keyword == "FROM"]
    assert len(stages) >= 2, "the image is built in one stage and run from another"
    assert [s[-1] for s in stages] == ["build", "runtime"], stages
    build_runs = [i.arguments for i in instructions if i.keyword == "RUN" and i.stage == 0]
    syncs = [run for run in build_runs if "uv sync" in run]
    assert syncs, "the build stage installs with uv sync"
    assert all("--locked" in run and "--no-dev" in run for run in syncs), syncs
    build_env: dict[str, str] = {}
    for i in instructions:
        if i.keyword == "ENV" and i.stage == 0:
            build_env |= env_assignments(i.arguments)
    assert build_env.get("UV_COMPILE_BYTECODE") == "1"
    assert build_env.get("UV_PYTHON_DOWNLOADS") == "never", "the image's Python is used, none is downloaded"
    runtime_copies = [i.arguments for i in final_stage(instructions) if i.keyword == "COPY"]
    assert runtime_copies == ["--from=build /app/.venv /app/.venv"], "the runtime stage gets the environment only"


def test_runs_as_numeric_non_root_user(instructions: list[Instruction]) -> None:
    users = [i.arguments for i in final_stage(instructions) if i.keyword == "USER"]
    assert users, "the runtime stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit(), f"USER {users[-1]}: Kubernetes' runAsNonRoot can only verify a numeric UID"
    assert int(uid) >= 10001, f"USER {users[-1]}: use a UID of 10001 or more (no clash with host users)"
    assert gid == "" or (gid.isdigit() and int(gid) >= 10001), f"USER {users[-1]}: use a non-root numeric GID"
    last_user_index = max(n for n, i in enumerate(instructions) if i.keyword == "USER")
    assert not [i for i in instructions[last_user_index:] if i.keyword == "RUN"], "nothing runs after USER"


def test_cmd_is_exec_form_running_the_package(instructions: list[Instruction]) -> None:
    cmds = [i.arguments for i in final_stage(instructions) if i.keyword == "CMD"]
    assert len(cmds) == 1
    assert json.loads(cmds[0]) == ["python", "-m", "checkout"], "exec form: SIGTERM reaches Python as PID 1"
    assert not [i for i in instructions if i.keyword == "ENTRYPOINT"]


def test_port_answer_reaches_env_and_expose(tmp_path: Path) -> None:
    project = render(tmp_path / "svc", OTHER_REGISTRY)
    runtime = final_stage(dockerfile_instructions((project / "Dockerfile").read_text(encoding="utf-8")))
    env: dict[str, str] = {}
    for i in runtime:
        if i.keyword == "ENV":
            env |= env_assignments(i.arguments)
    assert env["APP_PORT"] == "9000"
    assert [i.arguments for i in runtime if i.keyword == "EXPOSE"] == ["9000"]
    assert json.loads(next(i.arguments for i in runtime if i.keyword == "CMD")) == ["python", "-m", "a_b_c"]


def test_dockerignore_is_an_allow_list_of_what_the_dockerfile_copies(
    project: Path, instructions: list[Instruction]
) -> None:
    ignore = (project / ".dockerignore").read_text(encoding="utf-8")
    never_sent = [".env", ".git/config", ".venv/bin/python", "tests/test_app.py", "docs/runbook.md", "x/__pycache__/a"]
    for path in never_sent:
        assert dockerignore_excludes(ignore, path), f"{path} would be sent to the image builder"
    (project / "uv.lock").touch()  # written by `groundwork new service`; only its presence matters here
    context = build_context(project)
    sources = [
        source
        for i in instructions
        if i.keyword == "COPY" and not i.arguments.startswith("--from=")
        for source in i.arguments.split()[:-1]
    ]
    for source in sources:
        assert any(f == source or f.startswith(source.rstrip("/") + "/") for f in context), (
            f"COPY {source}: not in the build context ({context})"
        )
    assert not [f for f in context if f.startswith(("tests/", ".github/", "docs/"))], context


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_build_stage_replayed_on_the_host_yields_a_service_that_starts(tmp_path: Path) -> None:
    project = render(tmp_path / "project", TWO_DOWNSTREAMS)
    lock_dependencies(project)
    instructions = dockerfile_instructions((project / "Dockerfile").read_text(encoding="utf-8"))
    root = tmp_path / "image"  # stands for the build stage's file system: /app -> root/app

    def inside(path: str) -> Path:
        assert path.startswith("/"), path
        return root / path.lstrip("/")

    context = set(build_context(project))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    workdir = root
    for i in (i for i in instructions if i.stage == 0):
        if i.keyword == "ENV":
            for key, value in env_assignments(i.arguments).items():
                env[key] = str(inside(value)) if value.startswith("/app") else value
        elif i.keyword == "WORKDIR":
            workdir = inside(i.arguments)
            workdir.mkdir(parents=True, exist_ok=True)
        elif i.keyword == "COPY" and not i.arguments.startswith("--from="):
            *sources, target = i.arguments.split()
            for source in sources:
                for rel in sorted(context):
                    if rel == source:  # a file: into the target folder, or onto the target name
                        into_folder = target.endswith("/") or target == "." or len(sources) > 1
                        dest = workdir / target / Path(rel).name if into_folder else workdir / target
                    elif rel.startswith(source + "/"):  # a folder: its contents into the target
                        dest = workdir / target / rel.removeprefix(source + "/")
                    else:
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(project / rel, dest)
        elif i.keyword == "RUN":
            words = [w for w in shlex.split(i.arguments) if not w.startswith("--mount=")]
            # The image's interpreter is /usr/local/bin/python3.12; here the host's stands in for it.
            env["UV_PYTHON"] = sys.executable
            result = subprocess.run(words, cwd=workdir, env=env, capture_output=True, text=True, check=False)
            assert result.returncode == 0, f"RUN {i.arguments} failed:\n{result.stdout}\n{result.stderr}"

    venv = Path(env["UV_PROJECT_ENVIRONMENT"])
    package_files = list(venv.glob("lib/python3*/site-packages/checkout/__init__.py"))
    assert package_files, "the service is installed into the environment, not left as an editable source tree"
    assert list(package_files[0].parent.glob("__pycache__/*.pyc")), "bytecode is compiled at build time"
    shutil.rmtree(workdir / "src")  # the runtime stage copies the environment only

    runtime = [i for i in instructions if i.stage == max(x.stage for x in instructions)]
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_", "APP_", "OTEL_"))}
    for i in runtime:
        if i.keyword == "ENV":
            for key, value in env_assignments(i.arguments).items():
                run_env[key] = value.replace("${PATH}", run_env.get("PATH", ""))
    port = _free_port()
    run_env |= {
        "PATH": f"{venv / 'bin'}:{run_env['PATH']}",
        "APP_HOST": "127.0.0.1",
        "APP_PORT": str(port),
        "OTEL_SDK_DISABLED": "true",
    }
    cmd = json.loads(next(i.arguments for i in runtime if i.keyword == "CMD"))
    empty = tmp_path / "empty-workdir"
    empty.mkdir()
    process = subprocess.Popen(cmd, cwd=empty, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1).status_code
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert status == 200, f"/livez answered {status}; exit code {process.poll()}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            pytest.fail(f"the service ignored SIGTERM for 30 s:\n{output.decode()[-2000:]}")
    # A clean exit, or the SIGTERM re-raised after draining; anything else is a crash.
    assert process.returncode in (0, -signal.SIGTERM), f"exit {process.returncode}:\n{output.decode()[-2000:]}"
