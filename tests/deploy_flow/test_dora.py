"""`groundwork dora` on a synthetic GitOps history with known deployments, a revert, a rollback and known times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploy_flow_support import Repo, digest, overlay_path, overlay_text, trailers

from groundwork.cli import run

SINCE, UNTIL = "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z"
D0, D1, D2, D3, D4 = (digest(f"order-{n}") for n in range(5))


def deploy(repo: Repo, env: str, tag: str, image: str, built_at: str, when: str, subject: str) -> str:
    repo.write(overlay_path("order", env), overlay_text("order", env, tag, image))
    return repo.commit(f"{subject}\n\n{trailers('order', env, image, built_at)}", when)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Inside the window (7 days): five deployments (dev 1,2,3; prod 1,2), prod 2 reverted after 1h30m (a merge
    commit reverted), dev 3 rolled back by hand after 25h. Lead times 1h, 27h, 2h, 30h, 30m."""
    repo = Repo(tmp_path_factory.mktemp("gitops"))
    repo.write(overlay_path("order", "dev"), overlay_text("order", "dev", "0.1.0", D0))
    repo.write(overlay_path("order", "prod"), overlay_text("order", "prod", "0.1.0", D0))
    repo.write("README.md", "fleet\n")
    repo.commit("order: first render", "2026-03-01T09:00:00Z")  # before the window
    deploy(repo, "dev", "1" * 40, D1, "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", "order: deploy 1 to dev")
    deploy(repo, "prod", "1" * 40, D1, "2026-03-02T09:00:00Z", "2026-03-03T12:00:00Z", "order: promote 1 to prod")
    deploy(repo, "dev", "2" * 40, D2, "2026-03-04T08:00:00Z", "2026-03-04T10:00:00Z", "order: deploy 2 to dev")
    # Not a deployment: the image stays, the replicas move; nor is a change outside the overlays.
    repo.write(overlay_path("order", "prod"), overlay_text("order", "prod", "1" * 40, D1, replicas=3))
    repo.commit("order: three replicas in prod", "2026-03-04T11:00:00Z")
    repo.write("README.md", "fleet of one\n")
    repo.commit("docs", "2026-03-04T11:30:00Z")
    # prod 2 arrives by a merge commit: the trailers are on the merged branch's commit.
    repo.git("switch", "--quiet", "-c", "promote/order/prod")
    repo.write(overlay_path("order", "prod"), overlay_text("order", "prod", "2" * 40, D2, replicas=3))
    repo.commit(
        f"order: promote 2 to prod\n\n{trailers('order', 'prod', D2, '2026-03-04T08:00:00Z')}", "2026-03-05T13:00:00Z"
    )
    repo.git("switch", "--quiet", "main")
    repo.git(
        "merge",
        "--quiet",
        "--no-ff",
        "-m",
        "Merge pull request #7 from acme/promote/order/prod",
        "promote/order/prod",
        when="2026-03-05T14:00:00Z",
    )
    merge = repo.head()
    repo.git("revert", "--no-edit", "-m", "1", merge, when="2026-03-05T15:30:00Z")  # prod fails, restored
    deploy(repo, "dev", "3" * 40, D3, "2026-03-06T08:30:00Z", "2026-03-06T09:00:00Z", "order: deploy 3 to dev")
    # A rollback by hand: dev goes back to the image it ran before, no revert in the message.
    repo.write(overlay_path("order", "dev"), overlay_text("order", "dev", "2" * 40, D2))
    repo.commit("order: dev back on 2", "2026-03-07T10:00:00Z")
    deploy(repo, "dev", "4" * 40, D4, "2026-03-09T08:00:00Z", "2026-03-10T09:00:00Z", "order: deploy 4 to dev")
    return repo.path


def test_the_four_figures(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["dora", "--repo", str(history), "--since", SINCE, "--until", UNTIL]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:5] == [
        "deployment frequency: 5 in 7.0 days (0.71 per day)",
        "lead time for changes: 2h (median of 5)",
        "change failure rate: 40.0% (2 of 5)",
        "time to restore: 13h 15m (median of 2)",
    ]


def test_per_service_and_environment_as_json(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["dora", "--repo", str(history), "--since", SINCE, "--until", UNTIL, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {(r["service"], r["environment"]): r for r in report["rows"]}
    dev, prod = rows[("order", "dev")], rows[("order", "prod")]
    assert (dev["deployments"], dev["failures"], dev["restores"]) == (3, 1, 1)
    assert dev["lead_time_seconds"] == 3600  # median of 1h, 2h, 30m
    assert dev["time_to_restore_seconds"] == 25 * 3600
    assert (prod["deployments"], prod["failures"], prod["restores"]) == (2, 1, 1)
    assert prod["lead_time_seconds"] == (27 + 30) / 2 * 3600
    assert prod["change_failure_rate"] == 0.5
    assert prod["time_to_restore_seconds"] == 90 * 60
    total = report["total"]
    assert total["deployments"] == 5
    assert total["deployments_per_day"] == pytest.approx(5 / 7)
    assert total["lead_time_seconds"] == 2 * 3600
    assert total["change_failure_rate"] == 0.4
    assert total["time_to_restore_seconds"] == 13.25 * 3600


def test_the_window_moves_the_figures(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Everything since the beginning: the first render (2 deployments without build time) and dev 4 count."""
    assert (
        run(["dora", "--repo", str(history), "--since", "2026-03-01", "--until", "2026-03-11", "--format", "json"]) == 0
    )
    total = json.loads(capsys.readouterr().out)["total"]
    assert (total["deployments"], total["lead_time_samples"], total["failures"]) == (8, 6, 2)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--since", "last tuesday"], "error: --since 'last tuesday' is not a date: use an ISO date"),
        (["--since", "2026-03-09", "--until", "2026-03-01"], "error: --since 2026-03-09 is after --until 2026-03-01"),
        (["--ref", "nope"], "error: 'nope' is not a commit of"),
    ],
)
def test_bad_input_is_one_line(
    history: Path, argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["dora", "--repo", str(history), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(expected)


def test_outside_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["dora", "--repo", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: {tmp_path} is not inside a git repository: run it in a clone of the GitOps repository\n"
    )


def test_a_missing_figure_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Deployments without the build-time trailer and nothing restored: '-' with the reason, never a bare '-'."""
    repo = Repo(tmp_path / "gitops")
    repo.write(overlay_path("order", "dev"), overlay_text("order", "dev", "0.1.0", D0))
    repo.commit("order: first render", "2026-03-01T09:00:00Z")
    repo.write(overlay_path("order", "dev"), overlay_text("order", "dev", "1" * 40, D1))
    repo.commit("order: deploy 1 to dev (by hand, no trailers)", "2026-03-02T10:00:00Z")
    window = ["--since", "2026-03-01T10:00:00Z", "--until", "2026-03-03T00:00:00Z"]
    assert run(["dora", "--repo", str(repo.path), *window]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2] == (
        "lead time for changes: - (median of 0): none of the 1 deployments carries an 'Image-Built-At' trailer "
        "(CI's GitOps pull request and 'groundwork promote --commit' write it)"
    )
    assert out[4].endswith(
        "(median of 0): no deployment was reverted or rolled back in the window, so nothing was restored"
    )
    assert run(["dora", "--repo", str(repo.path), *window, "--format", "json"]) == 0
    total = json.loads(capsys.readouterr().out)["total"]
    assert set(total["missing"]) == {"lead_time", "time_to_restore"}
    assert run(["dora", "--repo", str(repo.path), "--since", "2026-03-05", "--until", "2026-03-06"]) == 0
    assert "lead time for changes: - (median of 0): no deployment (overlay change) merged in the window" in (
        capsys.readouterr().out
    )
