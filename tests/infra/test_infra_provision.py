"""`groundwork up` / `down` orchestration with fakes at the boundary (Pulumi stack, docker/kind, the
Application reader, kubectl, clocks). The checkout is a real copy of this repository's infra/, gitops/ and
templates/, with a two-service demo fleet rendered by the deploy template; the fleet's services are rendered
from the service template for real, only `uv lock` and `docker build` are faked."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import copier
import pytest
import yaml

from groundwork.cli import run
from groundwork.errors import GroundworkError
from groundwork.infra.settings import InvalidStackConfig
from groundwork.provision.argocd_wait import AppState, ReaderUnavailable
from groundwork.provision.orchestrate import Layout, Ports, UpOptions, https_url, provision, teardown
from groundwork.provision.record import read_record

REPO_ROOT = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "ab" * 32
KUBECONFIG = "apiVersion: v1\nkind: Config\n"


@pytest.fixture(scope="module")
def checkout_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A groundwork checkout with a demo fleet: gateway -> orders, rendered by the deploy template."""
    root = tmp_path_factory.mktemp("checkout")
    shutil.copy(REPO_ROOT / "copier.yml", root / "copier.yml")
    for folder in ("templates", "infra"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "gitops").mkdir()
    shutil.copy(REPO_ROOT / "gitops" / "versions.yaml", root / "gitops" / "versions.yaml")
    shutil.copytree(REPO_ROOT / "gitops" / "bootstrap", root / "gitops" / "bootstrap")
    for name, downstreams, consumers in (("gateway", ["orders"], []), ("orders", [], ["gateway"])):
        copier.run_copy(
            str(root),
            root / "gitops" / "apps" / name,
            data={
                "template": "deploy",
                "service_name": name,
                "owner_team": f"team-{name}",
                "domain": "commerce",
                "downstreams": downstreams,
                "consumers": consumers,
                "container_registry": "ghcr.io/acme",
                "image_tag": "0.1.0",
                "image_digest": DIGEST,
            },
            defaults=True,
            quiet=True,
            unsafe=False,
        )
    return root


@pytest.fixture
def checkout(checkout_template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "checkout"
    shutil.copytree(checkout_template, copy)
    return copy


class FakeStack:
    """Records what `up`/`down` ask Pulumi for; `fail` makes `up` raise like a failed deployment."""

    def __init__(self, outputs: Mapping[str, object], events: list[str], fail: bool = False) -> None:
        self._outputs = dict(outputs)
        self.events = events
        self.fail = fail
        self.config: dict[str, str] = {}

    def set_config(self, key: str, value: str) -> None:
        self.config[key] = value
        self.events.append(f"config {key}={value}")

    def up(self, on_output: Callable[[str], None]) -> Mapping[str, object]:
        self.events.append("pulumi up")
        on_output("Updating (kind):\n")
        if self.fail:
            raise GroundworkError("pulumi up failed: error: kind create cluster exited 1", "read the output above")
        return self._outputs

    def destroy(self, on_output: Callable[[str], None]) -> None:
        self.events.append("pulumi destroy")
        on_output("Destroying (kind):\n")

    def outputs(self) -> Mapping[str, object]:
        return self._outputs


class FakeReader:
    """Answers each poll with the next list of states (the last one repeats)."""

    def __init__(self, polls: Sequence[Sequence[AppState] | Exception], events: list[str]) -> None:
        self._polls = list(polls)
        self.events = events
        self.calls = 0

    def applications(self) -> Sequence[AppState]:
        answer = self._polls[min(self.calls, len(self._polls) - 1)]
        self.calls += 1
        self.events.append("read applications")
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    """Fake monotonic and wall clocks: time moves only when something sleeps or a command runs."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return datetime(2026, 11, 25, 9, 0, tzinfo=UTC) + timedelta(seconds=self.seconds)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.seconds += seconds


def healthy(*names: str) -> list[AppState]:
    return [AppState(name, "Synced", "Healthy") for name in names]


ALL_READY = healthy("root", "groundwork-istio-gateway", "gateway-dev", "orders-dev")


class World:
    """Fakes wired into Ports, plus what they saw."""

    def __init__(self, polls: Sequence[Sequence[AppState] | Exception] = (ALL_READY,), fail_up: bool = False,
                 origin: str | None = "git@github.com:acme/platform.git") -> None:  # fmt: skip
        self.events: list[str] = []
        self.lines: list[str] = []
        self.clock = Clock()
        outputs = {"kubeconfig": KUBECONFIG, "gatewayUrl": "http://localhost:8080", "env": "kind"}
        self.stack = FakeStack(outputs, self.events, fail=fail_up)
        self.reader = FakeReader(polls, self.events)
        self.kubectl_calls: list[list[str]] = []
        self.origin = origin

    def run(self, command: Sequence[str], cwd: Path | None) -> None:
        self.events.append(" ".join(command[:3]))
        self.clock.seconds += 5

    def kubectl(self, arguments: Sequence[str]) -> tuple[int, str, str]:
        self.kubectl_calls.append(list(arguments))
        if arguments[:2] == ["get", "services"]:
            gateway = {"namespace": "istio-ingress", "name": "istio-ingressgateway"}
            items = [
                {"metadata": gateway, "spec": {"type": "LoadBalancer"}},
                {"metadata": {"namespace": "orders", "name": "orders"}, "spec": {"type": "ClusterIP"}},
            ]
            return 0, json.dumps({"items": items}), ""
        if arguments[:2] == ["get", "applications.argoproj.io"]:
            return 0, "application.argoproj.io/root\napplication.argoproj.io/orders-dev\n", ""
        return 0, "", ""

    def ports(self) -> Ports:
        return Ports(
            open_stack=lambda layout, env: (self.events.append(f"open stack {env}"), self.stack)[1],
            run=self.run,
            reader=lambda kubeconfig: self.reader,
            kubectl=lambda kubeconfig: self.kubectl,
            origin_url=lambda repository: self.origin,
            lock=lambda project: (project / "uv.lock").write_text("# fake lock\n"),
            echo=self.lines.append,
            clock=self.clock.monotonic,
            now=self.clock.now,
            sleep=self.clock.sleep,
        )


def up(checkout: Path, world: World, **options: object) -> dict[str, object]:
    record = provision(
        Layout(checkout), UpOptions(env=str(options.pop("env", "kind")), poll_seconds=10, **options), world.ports()
    )  # type: ignore[arg-type]
    assert record.ready
    return read_record(Layout(checkout).record(record.env))


def test_up_on_kind_builds_the_fleet_then_provisions_loads_and_waits(checkout: Path) -> None:
    world = World()
    record = up(checkout, world)
    builds = [e for e in world.events if e.startswith("docker build")]
    assert builds == ["docker build --tag", "docker build --tag"]
    order = [e.split()[0] + " " + e.split()[1] for e in world.events if not e.startswith("config")]
    assert order.index("open stack") < order.index("docker build") < order.index("pulumi up")
    assert order.index("pulumi up") < order.index("kind load") < order.index("read applications")
    # The fleet was rendered from the service template, under the dev overlay's image names.
    fleet = checkout / ".groundwork" / "fleet"
    assert sorted(p.name for p in fleet.iterdir()) == ["gateway", "orders"]
    assert (fleet / "orders" / "Dockerfile").is_file()
    assert "orders" in (fleet / "gateway" / ".copier-answers.yml").read_text()
    assert record["ready"] is True
    assert record["env"] == "kind"
    assert list(record["seconds"]) == ["images", "pulumi_up", "load_images", "argocd_wait"]  # type: ignore[arg-type]
    assert record["seconds"]["images"] == 10.0  # type: ignore[index]
    assert record["applications"] == [
        {"name": app.name, "sync": "Synced", "health": "Healthy"} for app in sorted(ALL_READY, key=lambda a: a.name)
    ]
    assert record["started_at"] == "2026-11-25T09:00:00+00:00"


def test_fleet_images_are_the_names_the_dev_overlays_deploy(checkout: Path) -> None:
    world = World()
    commands: list[list[str]] = []
    ports = world.ports()
    ports = Ports(**{**ports.__dict__, "run": lambda command, cwd: commands.append(list(command))})
    provision(Layout(checkout), UpOptions(env="kind"), ports)
    overlay = yaml.safe_load((checkout / "gitops/apps/orders/overlays/dev/kustomization.yaml").read_text())
    (entry,) = overlay["images"]
    expected = f"{entry['name']}:{entry['newTag']}"
    assert expected == "ghcr.io/acme/orders:0.1.0"
    assert ["docker", "build", "--tag", expected, str(checkout / ".groundwork/fleet/orders")] in commands
    assert ["kind", "load", "docker-image", "--name", "groundwork", "ghcr.io/acme/gateway:0.1.0", expected] in commands


def test_a_tag_moved_by_ci_in_the_dev_overlay_wins(checkout: Path) -> None:
    overlay_file = checkout / "gitops/apps/orders/overlays/dev/kustomization.yaml"
    overlay_file.write_text(overlay_file.read_text().replace('newTag: "0.1.0"', 'newTag: "0.2.0"'))
    world = World()
    commands: list[list[str]] = []
    ports = Ports(**{**world.ports().__dict__, "run": lambda command, cwd: commands.append(list(command))})
    provision(Layout(checkout), UpOptions(env="kind"), ports)
    assert any("ghcr.io/acme/orders:0.2.0" in command for command in commands)


def test_kubeconfig_is_written_for_its_owner_only(checkout: Path) -> None:
    up(checkout, World())
    kubeconfig = checkout / ".groundwork" / "kubeconfig-kind"
    assert kubeconfig.read_text() == KUBECONFIG
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600


def test_repository_url_comes_from_origin_as_https_and_is_written_to_the_stack(checkout: Path) -> None:
    world = World()
    up(checkout, world)
    assert world.stack.config == {"repoUrl": "https://github.com/acme/platform.git"}
    assert "set groundwork:repoUrl = https://github.com/acme/platform.git in infra/Pulumi.kind.yaml (commit it)" in (
        world.lines
    )


def test_repo_url_and_revision_options_win(checkout: Path) -> None:
    world = World()
    up(checkout, world, repo_url="https://gitlab.example.com/team/platform.git", revision="feature-x")
    assert world.stack.config == {"repoUrl": "https://gitlab.example.com/team/platform.git", "revision": "feature-x"}


def test_access_is_printed_at_the_end(checkout: Path) -> None:
    world = World()
    up(checkout, world)
    text = "\n".join(world.lines)
    assert "kind is up: 4 Applications Synced and Healthy" in text
    assert "port-forward svc/argocd-server 8081:80" in text
    assert "port-forward svc/kube-prometheus-stack-grafana 3000:80" in text
    assert "Gateway:    http://localhost:8080" in text
    assert "curl -H 'Host: gateway.example.com' http://localhost:8080/v1/chain" in text
    assert f"provisioning record: {checkout / '.groundwork/provision-kind.json'}" in text


def test_wait_lasts_until_argocd_settles(checkout: Path) -> None:
    polls: list[Sequence[AppState] | Exception] = [
        ReaderUnavailable('the server doesn\'t have a resource type "applications"'),
        healthy("root"),
        [*healthy("root", "gateway-dev"), AppState("orders-dev", "OutOfSync", "Missing")],
        ALL_READY,
    ]
    world = World(polls=polls)
    record = up(checkout, world)
    assert world.reader.calls == 5  # ready twice in a row with the same Applications
    assert record["seconds"]["argocd_wait"] == 40.0  # type: ignore[index]
    text = "\n".join(world.lines)
    assert "Applications not readable yet" in text
    assert "not generated yet: gateway-dev, orders-dev" in text
    assert "waiting for orders-dev (OutOfSync/Missing)" in text


def test_argocd_not_ready_in_time_fails_in_one_line_and_still_records(checkout: Path) -> None:
    stuck = [*healthy("root", "gateway-dev"), AppState("orders-dev", "Synced", "Progressing", "Back-off pulling image")]
    world = World(polls=[stuck])
    with pytest.raises(GroundworkError) as raised:
        provision(Layout(checkout), UpOptions(env="kind", timeout_seconds=120, poll_seconds=10), world.ports())
    message = str(raised.value)
    assert message.startswith("Argo CD is not ready after 120 s: waiting for orders-dev (Synced/Progressing: Back-off")
    assert "\n" not in message
    assert world.clock.sleeps == [10] * 12  # bounded: never sleeps past the timeout
    record = read_record(Layout(checkout).record("kind"))
    assert record["ready"] is False
    assert record["failed_step"] == "argocd_wait"
    assert record["error"] == message


def test_failed_pulumi_up_is_recorded_and_stops_there(checkout: Path) -> None:
    world = World(fail_up=True)
    with pytest.raises(GroundworkError, match="pulumi up failed"):
        provision(Layout(checkout), UpOptions(env="kind"), world.ports())
    assert not any(event.startswith("kind load") for event in world.events)
    assert "read applications" not in world.events
    record = read_record(Layout(checkout).record("kind"))
    assert record["failed_step"] == "pulumi_up"
    assert list(record["seconds"]) == ["images", "pulumi_up"]  # type: ignore[arg-type]
    assert not (checkout / ".groundwork" / "kubeconfig-kind").exists()


def test_bad_stack_config_fails_before_anything_runs(checkout: Path) -> None:
    stack_file = checkout / "infra" / "Pulumi.eks.yaml"
    stack_file.write_text(
        stack_file.read_text().replace("groundwork:availabilityZones: 3", "groundwork:availabilityZones: 1")
    )
    world = World()
    with pytest.raises(InvalidStackConfig) as raised:
        provision(Layout(checkout), UpOptions(env="eks"), world.ports())
    assert str(raised.value) == "config groundwork:availabilityZones is 1, out of range: give 2 to 6"
    assert world.events == []
    assert not (checkout / ".groundwork").exists()


def test_missing_repository_url_without_origin_is_one_clear_line(checkout: Path) -> None:
    world = World(origin=None)
    with pytest.raises(InvalidStackConfig) as raised:
        provision(Layout(checkout), UpOptions(env="kind"), world.ports())
    assert str(raised.value) == (
        "config groundwork:repoUrl is missing and this checkout has no 'origin' remote: "
        "pass --repo-url https://github.com/<org>/<repo>.git (Argo CD clones it from the cluster)"
    )
    assert world.events == []


def test_up_on_eks_builds_nothing_and_waits_for_root_only(checkout: Path) -> None:
    world = World(polls=[healthy("root", "groundwork-dev-istio-gateway")])
    record = up(checkout, world, env="eks")
    assert not any(e.startswith(("docker", "kind")) for e in world.events)
    assert list(record["seconds"]) == ["pulumi_up", "argocd_wait"]  # type: ignore[arg-type]
    assert "Gateway:    kubectl --kubeconfig" in "\n".join(world.lines)


def test_no_fleet_option_skips_the_images(checkout: Path) -> None:
    world = World(polls=[healthy("root")])
    record = up(checkout, world, fleet=False)
    assert list(record["seconds"]) == ["pulumi_up", "argocd_wait"]  # type: ignore[arg-type]


def test_down_on_kind_destroys_and_forgets_the_kubeconfig(checkout: Path) -> None:
    up(checkout, World())
    world = World()
    teardown(Layout(checkout), "kind", world.ports())
    assert world.events == ["open stack kind", "pulumi destroy"]
    assert world.kubectl_calls == []
    assert not (checkout / ".groundwork" / "kubeconfig-kind").exists()
    assert (checkout / ".groundwork" / "provision-kind.json").is_file()


def test_down_on_eks_clears_load_balancers_before_destroying(checkout: Path) -> None:
    up(checkout, World(polls=[healthy("root")]), env="eks")
    world = World()
    teardown(Layout(checkout), "eks", world.ports())
    calls = [" ".join(call[:3]) for call in world.kubectl_calls]
    assert calls[0] == "delete applicationsets.argoproj.io --all"
    assert "patch application.argoproj.io/orders-dev -n" in calls
    assert "delete service istio-ingressgateway" in calls
    assert not any("service orders" in call for call in calls)
    assert world.events == ["open stack eks", "pulumi destroy"]


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:acme/platform.git", "https://github.com/acme/platform.git"),
        ("ssh://git@gitlab.example.com/team/platform.git", "https://gitlab.example.com/team/platform.git"),
        ("https://github.com/acme/platform.git", "https://github.com/acme/platform.git"),
    ],
)
def test_https_url(remote: str, url: str) -> None:
    assert https_url(remote) == url


@pytest.mark.parametrize("command", ["up", "down"])
def test_cli_refuses_an_unknown_env_in_one_line(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([command, "--env", "gke"]) == 2
    assert capsys.readouterr().err == (
        "error: Invalid value for '--env': 'gke' is not one of 'kind', 'eks', 'sandbox'. (see 'groundwork --help')\n"
    )


def test_fleet_is_built_from_the_checkout_as_it_is_not_the_latest_tag(checkout: Path) -> None:
    """In a git checkout with a release tag, the fleet still gets the working tree's template (with edits)."""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(checkout), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "release")
    git("tag", "v9.9.9")
    readme = checkout / "templates" / "service" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nunreleased edit\n")
    world = World()
    up(checkout, world)
    assert "unreleased edit" in (checkout / ".groundwork" / "fleet" / "orders" / "README.md").read_text()


def test_missing_tools_stop_up_and_down_before_anything_runs(checkout: Path) -> None:
    world = World()
    gaps = ["kind     -          missing: install it (creates the local cluster): curl -Lo ./kind ..."]
    ports = Ports(**{**world.ports().__dict__, "preflight": lambda env: gaps})
    for action in (
        lambda: provision(Layout(checkout), UpOptions(env="kind"), ports),
        lambda: teardown(Layout(checkout), "kind", ports),
    ):
        with pytest.raises(GroundworkError) as raised:
            action()
        assert str(raised.value) == (
            "1 tool(s) not ready for --env kind, first: kind - missing: install it (creates the local cluster): "
            "curl -Lo ./kind ...: run 'groundwork doctor' for every fix"
        )
    assert world.events == []
    assert not (checkout / ".groundwork").exists()
