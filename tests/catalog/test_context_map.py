"""The context map derived from the catalog: who calls whom, across which domain boundary."""

from __future__ import annotations

from pathlib import Path

from catalog_support import REPO_ROOT, copy_catalog

from groundwork.catalog.graph import declared_graph
from groundwork.catalog.load import load_catalog

# The capstone fleet (gitops/apps/README.md): caller -> callees.
CALLS = {
    "gateway": {"user", "order", "search"},
    "order": {"user", "inventory", "payment", "notification"},
    "notification": {"user"},
    "search": {"inventory"},
}


def test_the_fleet_context_map() -> None:
    graph = declared_graph(load_catalog(REPO_ROOT))
    assert graph.dangling == []
    found: dict[str, set[str]] = {}
    for call in graph.calls:
        found.setdefault(call.caller, set()).add(call.callee)
    assert found == CALLS
    context_map = graph.context_map()
    assert context_map["domains"] == {
        "commerce": ["inventory", "order"],
        "discovery": ["search"],
        "edge": ["gateway"],
        "engagement": ["notification"],
        "identity": ["user"],
        "payments": ["payment"],
    }
    within = [(c.caller, c.callee) for c in graph.calls if not c.cross_domain]
    assert within == [("order", "inventory")]
    assert context_map["cross_domain_calls"] == 8
    order_payment = next(c for c in graph.calls if (c.caller, c.callee) == ("order", "payment"))
    assert (order_payment.caller_domain, order_payment.callee_domain) == ("commerce", "payments")
    assert str(order_payment.where).startswith("gitops/apps/order/catalog-info.yaml:")


def test_an_api_nobody_provides_is_dangling(tmp_path: Path) -> None:
    copy_catalog(tmp_path)
    descriptor = tmp_path / "gitops" / "apps" / "search" / "catalog-info.yaml"
    descriptor.write_text(
        descriptor.read_text().replace("    - inventory-api\n", "    - inventory-api\n    - pricing-api\n", 1)
    )
    graph = declared_graph(load_catalog(tmp_path))
    (dangling,) = graph.dangling
    assert (dangling.component, dangling.api.name, dangling.providers) == ("search", "pricing-api", ())
    assert (
        str(dangling.where)
        == f"gitops/apps/search/catalog-info.yaml:{descriptor.read_text().splitlines().index('    - pricing-api') + 1}"
    )
