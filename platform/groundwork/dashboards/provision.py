"""Write the fleet-wide service dashboard where Argo CD provisions it: gitops/addons/dashboards/service.json.

Grafana gets the dashboard once, for every service (its `namespace` and `service` variables), from the
`dashboards` add-on's ConfigMap; no service's GitOps entry carries a copy. A test keeps the committed file equal
to what the generator makes.

Regenerate after changing `service.py`:  uv run python -m groundwork.dashboards.provision
Check it is current (exit 1 if not):      uv run python -m groundwork.dashboards.provision --check
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from groundwork.dashboards.service import to_json
from groundwork.paths import ADDONS_DIR, DASHBOARDS_ADDON, GITOPS_DIR, find_template_root

DASHBOARD_FILE = Path(GITOPS_DIR) / ADDONS_DIR / DASHBOARDS_ADDON / "service.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m groundwork.dashboards.provision", description="Regenerate the fleet's service dashboard."
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed dashboard is stale")
    args = parser.parse_args(argv)
    target = find_template_root() / DASHBOARD_FILE
    wanted = to_json()
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if args.check:
        if current != wanted:
            print(
                f"error: {DASHBOARD_FILE} is stale:"
                " regenerate it with 'uv run python -m groundwork.dashboards.provision'",
                file=sys.stderr,
            )
            return 1
        print(f"{DASHBOARD_FILE} is current")
        return 0
    if current == wanted:
        print(f"{DASHBOARD_FILE} already current")
    else:
        target.write_text(wanted, encoding="utf-8")
        print(f"wrote {DASHBOARD_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
