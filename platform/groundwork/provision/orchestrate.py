"""`groundwork up` and `groundwork down`: the steps, their order, their timing and their messages.

Everything that touches the outside world comes in through `Ports` (the Pulumi stack, docker/kind, the
Application reader, kubectl, clocks, output), so the orchestration is tested with fakes; the real ports are
thin (`real_ports`). Steps of `up`:

1. check the stack configuration (one clear line on any mistake) and fill in the repository URL;
2. kind only: render the demo fleet from the service template and build its images;
3. `pulumi up` over infra/ with the policy pack, output streamed;
4. write the kubeconfig to `.groundwork/kubeconfig-<env>`;
5. kind only: load the fleet's images into the cluster;
6. wait (bounded) until Argo CD reports every Application Synced and Healthy;
7. record the timings in `.groundwork/provision-<env>.json` (also when a step failed) and print how to reach
   Argo CD, Grafana and the gateway.
"""

import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from groundwork.errors import GroundworkError, MissingTool
from groundwork.gitorigin import git_origin
from groundwork.infra.addons import known_addons
from groundwork.infra.settings import BOOTSTRAP_PATH, InvalidStackConfig, Settings, parse_settings
from groundwork.infra.stack_config import load_stack_values
from groundwork.paths import INFRA_DIR, POLICIES_DIR, STATE_DIR
from groundwork.provision.access import access_lines
from groundwork.provision.argocd_wait import ApplicationReader, wait_for_applications
from groundwork.provision.fleet import CommandRunner, FleetService, build_images, discover_fleet, load_images
from groundwork.provision.kube import Kubectl, clear_load_balancers
from groundwork.provision.record import ProvisionRecord, record_path, write_record
from groundwork.scaffold import lock_dependencies

POLICY_PACK = Path(POLICIES_DIR) / "pulumi"
ROOT_APPLICATION = "root"


class Stack(Protocol):
    """The Pulumi stack as `up`/`down` use it (pulumi_stack.AutomationStack is the real one)."""

    def set_config(self, key: str, value: str) -> None: ...
    def up(self, on_output: Callable[[str], None]) -> Mapping[str, object]: ...
    def destroy(self, on_output: Callable[[str], None]) -> None: ...
    def outputs(self) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class Layout:
    """Where things are in a groundwork checkout."""

    repository: Path

    @property
    def infra_dir(self) -> Path:
        return self.repository / INFRA_DIR

    @property
    def state_dir(self) -> Path:
        return self.repository / STATE_DIR

    @property
    def policy_pack(self) -> Path:
        return self.repository / POLICY_PACK

    @property
    def backend_dir(self) -> Path:
        return self.state_dir / "pulumi"

    @property
    def fleet_dir(self) -> Path:
        return self.state_dir / "fleet"

    def kubeconfig(self, env: str) -> Path:
        return self.state_dir / f"kubeconfig-{env}"

    def record(self, env: str) -> Path:
        return record_path(self.state_dir, env)


@dataclass(frozen=True)
class Ports:
    """The outside world of `up`/`down`."""

    open_stack: Callable[[Layout, str], Stack]
    run: CommandRunner
    reader: Callable[[Path], ApplicationReader]
    kubectl: Callable[[Path], Kubectl]
    origin_url: Callable[[Path], str | None]
    lock: Callable[[Path], None]
    echo: Callable[[str], None]
    # The tools `up`/`down` need for an env that are missing, too old or not working, as doctor lines.
    preflight: Callable[[str], Sequence[str]] = lambda env: ()
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class UpOptions:
    """What the user asked `groundwork up` for."""

    env: str
    timeout_seconds: float = 1200.0
    poll_seconds: float = 10.0
    repo_url: str | None = None
    revision: str | None = None
    fleet: bool = True


def resolve_settings(layout: Layout, options: UpOptions, origin: str | None) -> tuple[Settings, dict[str, str]]:
    """Parse the stack's configuration as Pulumi will see it; return it with the config values to write
    (the repository URL from --repo-url or the `origin` remote when the stack has none, --revision)."""
    values = load_stack_values(layout.infra_dir, options.env)
    to_write: dict[str, str] = {}
    repo_url = options.repo_url or str(values.get("repoUrl") or "") or https_url(origin or "")
    if not repo_url:
        raise InvalidStackConfig(
            "config groundwork:repoUrl is missing and this checkout has no 'origin' remote",
            "pass --repo-url https://github.com/<org>/<repo>.git (Argo CD clones it from the cluster)",
        )
    if repo_url != values.get("repoUrl"):
        to_write["repoUrl"] = repo_url
    if options.revision and options.revision != values.get("revision"):
        to_write["revision"] = options.revision
    values.update(to_write)
    settings = parse_settings(values, known_addons(layout.repository / BOOTSTRAP_PATH))
    return settings, to_write


def https_url(remote: str) -> str:
    """A clone URL Argo CD can use without SSH keys: `git@host:org/repo.git` becomes `https://host/org/repo.git`."""
    remote = remote.strip()
    if remote.startswith("git@") and ":" in remote:
        host, path = remote[len("git@") :].split(":", 1)
        return f"https://{host}/{path}"
    if remote.startswith("ssh://git@"):
        return "https://" + remote[len("ssh://git@") :]
    return remote


def provision(layout: Layout, options: UpOptions, ports: Ports) -> ProvisionRecord:
    """Run `groundwork up`; the record is written however it ends. Raises GroundworkError when a step fails
    or Argo CD is not ready in time."""
    settings, to_write = resolve_settings(layout, options, ports.origin_url(layout.repository))
    _require_tools(options.env, ports)
    record = ProvisionRecord(
        env=options.env,
        cluster_name=settings.cluster_name,
        environment=settings.environment,
        started_at=ports.now(),
        timeout_seconds=options.timeout_seconds,
    )
    try:
        _provision(layout, options, ports, settings, to_write, record)
    except GroundworkError as error:
        record.error = str(error)
        raise
    finally:
        record.finished_at = ports.now()
        write_record(record, layout.record(options.env))
        ports.echo(f"provisioning record: {layout.record(options.env)} ({record.total_seconds:.0f} s)")
    return record


def _provision(
    layout: Layout,
    options: UpOptions,
    ports: Ports,
    settings: Settings,
    to_write: Mapping[str, str],
    record: ProvisionRecord,
) -> None:
    step = _Steps(record, ports)
    stack = ports.open_stack(layout, options.env)
    for key, value in to_write.items():
        stack.set_config(key, value)
        ports.echo(f"set groundwork:{key} = {value} in infra/Pulumi.{options.env}.yaml (commit it)")
    fleet = discover_fleet(layout.repository) if settings.kind is not None and options.fleet else []
    images: list[str] = []
    if fleet:
        with step("images"):
            ports.echo(f"building {len(fleet)} service image(s) from the service template: {_names(fleet)}")
            images = build_images(fleet, layout.repository, layout.fleet_dir, ports.run, ports.lock)
    with step("pulumi_up"):
        outputs = stack.up(lambda line: ports.echo(line.rstrip("\n")))
    kubeconfig = layout.kubeconfig(options.env)
    _write_private(kubeconfig, str(outputs.get("kubeconfig") or ""))
    if images:
        with step("load_images"):
            load_images(images, settings.cluster_name, ports.run)
    with step("argocd_wait"):
        expected = {ROOT_APPLICATION, *(f"{service.name}-{settings.environment}" for service in fleet)}
        result = wait_for_applications(
            ports.reader(kubeconfig),
            timeout_seconds=options.timeout_seconds,
            poll_seconds=options.poll_seconds,
            expected=expected,
            clock=ports.clock,
            sleep=ports.sleep,
            progress=ports.echo,
        )
    record.applications = list(result.applications)
    if not result.ready:
        record.failed_step = "argocd_wait"
        raise GroundworkError(
            f"Argo CD is not ready after {result.waited_seconds:.0f} s: {result.reason}",
            f"look with 'kubectl --kubeconfig {kubeconfig} -n argocd get applications', "
            "then run 'groundwork up' again (it resumes) or raise --timeout",
        )
    record.ready = True
    gateway = outputs.get("gatewayUrl")
    hosts = [service.public_host for service in fleet if service.public_host]
    ports.echo(f"{options.env} is up: {len(result.applications)} Applications Synced and Healthy")
    for line in access_lines(options.env, kubeconfig, str(gateway) if gateway else None, hosts):
        ports.echo(line)


def teardown(layout: Layout, env: str, ports: Ports) -> None:
    """Run `groundwork down`: on EKS clear the load balancers first, then `pulumi destroy`."""
    load_stack_values(layout.infra_dir, env)  # refuses an unknown stack in one line
    _require_tools(env, ports)
    stack = ports.open_stack(layout, env)
    kubeconfig = layout.kubeconfig(env)
    if env == "eks" and kubeconfig.is_file():
        ports.echo("deleting load balancers, so the VPC can be destroyed")
        clear_load_balancers(ports.kubectl(kubeconfig), ports.echo)
    stack.destroy(lambda line: ports.echo(line.rstrip("\n")))
    kubeconfig.unlink(missing_ok=True)
    ports.echo(f"{env} is down (the provisioning record {layout.record(env)} is kept)")


def _require_tools(env: str, ports: Ports) -> None:
    gaps = list(ports.preflight(env))
    if gaps:
        raise MissingTool(
            f"{len(gaps)} tool(s) not ready for --env {env}, first: {' '.join(gaps[0].split())}",
            "run 'groundwork doctor' for every fix",
        )


class _Steps:
    """Times named steps into the record; a step that raises is recorded as the failed one."""

    def __init__(self, record: ProvisionRecord, ports: Ports) -> None:
        self._record = record
        self._ports = ports

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = self._ports.clock()
        try:
            yield
        except BaseException:
            self._record.failed_step = name
            raise
        finally:
            self._record.seconds[name] = self._ports.clock() - start


def _names(fleet: Sequence[FleetService]) -> str:
    return ", ".join(service.name for service in fleet)


def _write_private(path: Path, text: str) -> None:
    """Write a credential file readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(path, 0o600)


# The real ports -----------------------------------------------------------------------------------------


def run_command(command: Sequence[str], cwd: Path | None) -> None:
    """Run a command with its output streamed to the terminal; one line if it fails."""
    try:
        result = subprocess.run(list(command), cwd=cwd, check=False)
    except FileNotFoundError:
        raise MissingTool(f"{command[0]} is not installed", "run 'groundwork doctor' for the fix") from None
    if result.returncode != 0:
        raise GroundworkError(f"'{' '.join(command[:3])} ...' exited {result.returncode}", "read its output above")


def real_ports(echo: Callable[[str], None]) -> Ports:
    """The ports `groundwork up`/`down` use outside tests."""
    from groundwork.provision.doctor import diagnose, tools_for
    from groundwork.provision.kube import KubectlApplicationReader, kubectl_for
    from groundwork.provision.pulumi_stack import AutomationStack

    def preflight(env: str) -> list[str]:
        return [finding.line() for finding in diagnose(tools_for(env)) if not finding.ok]

    return Ports(
        open_stack=lambda layout, env: AutomationStack(layout.infra_dir, env, layout.backend_dir, layout.policy_pack),
        run=run_command,
        reader=lambda kubeconfig: KubectlApplicationReader(kubectl_for(kubeconfig)),
        kubectl=lambda kubeconfig: kubectl_for(kubeconfig),
        origin_url=git_origin,
        lock=lock_dependencies,
        echo=echo,
        preflight=preflight,
    )
