"""Services rendered from the real template and installed once per session: alpha calls beta; ledger keeps state."""

from __future__ import annotations

import pytest
from support.fleet import Fleet, RenderedService, render_service
from support.state import render_stateful_service


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    root = tmp_path_factory.mktemp("fleet")
    beta = render_service(root / "beta", "beta", calls=[])
    alpha = render_service(root / "alpha", "alpha", calls=["beta"])
    return Fleet(alpha=alpha, beta=beta)


@pytest.fixture(scope="session")
def stateful(tmp_path_factory: pytest.TempPathFactory) -> RenderedService:
    """A service rendered with database=postgres and events=kafka (consuming fleet.events), dev tools included."""
    return render_stateful_service(tmp_path_factory.mktemp("stateful") / "ledger", "ledger", ["fleet.events"])
