"""Two services rendered from the real template and installed once per session: alpha calls beta."""

from __future__ import annotations

import pytest
from support.fleet import Fleet, render_service


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    root = tmp_path_factory.mktemp("fleet")
    beta = render_service(root / "beta", "beta", calls=[])
    alpha = render_service(root / "alpha", "alpha", calls=["beta"])
    return Fleet(alpha=alpha, beta=beta)
