"""Turn the service dashboard into the deploy template's `base/dashboard.json.jinja`.

The dashboard is built once for a placeholder service whose every answer-dependent value is a marker; the
JSON is then made Jinja-safe (Grafana's own `{{label}}` legends are escaped) and each marker becomes the
Copier expression that renders it. So `copier copy` / `copier update` produce a service's dashboard without
grafana-foundation-sdk, and a test keeps the committed template equal to what the generator makes.

Regenerate after changing `service.py`:  uv run python -m groundwork.dashboards.template
Check it is current (exit 1 if not):      uv run python -m groundwork.dashboards.template --check
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from groundwork.dashboards.service import ServiceDashboard, to_json
from groundwork.paths import TEMPLATES_DIR, find_template_root

TEMPLATE_FILE = Path(TEMPLATES_DIR) / "deploy" / "base" / "dashboard.json.jinja"

# marker -> the Copier expression (root copier.yml answers and computed values) that replaces it.
PLACEHOLDERS: dict[str, str] = {
    "__gw_service_name__": "service_name",
    "__gw_domain__": "domain",
    "__gw_owner_team__": "owner_team",
    "__gw_availability_target__": "slo_availability_target",
    "__gw_availability_error_budget__": "slo_availability_error_budget",
    "__gw_latency_target__": "slo_latency_target",
    "__gw_latency_error_budget__": "slo_latency_error_budget",
    "__gw_latency_threshold_ms__": "slo_latency_threshold_ms",
    "__gw_latency_le__": "slo_latency_le",
}
# The uid is "gw-<service>" cut to Grafana's 40 characters; the placeholder service gives this text for it.
UID_PLACEHOLDER = "gw-__gw_service_name__"
UID_EXPRESSION = "('gw-' ~ service_name)[:40]"

PLACEHOLDER_SPEC = ServiceDashboard(
    service="__gw_service_name__",
    domain="__gw_domain__",
    owner_team="__gw_owner_team__",
    availability_target="__gw_availability_target__",
    availability_error_budget="__gw_availability_error_budget__",
    latency_target="__gw_latency_target__",
    latency_error_budget="__gw_latency_error_budget__",
    latency_threshold_ms="__gw_latency_threshold_ms__",
    latency_le="__gw_latency_le__",
)

_JINJA_DELIMITERS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


def jinja_template() -> str:
    """The text of `base/dashboard.json.jinja` for the current generator."""
    text = to_json(PLACEHOLDER_SPEC)
    if PLACEHOLDER_SPEC.uid != UID_PLACEHOLDER:  # pragma: no cover - guards a change to ServiceDashboard.uid
        raise AssertionError(f"dashboard uid changed shape: {PLACEHOLDER_SPEC.uid!r}")
    # Escape Jinja's delimiters first (Grafana legends such as {{route}} must come out verbatim) ...
    text = _JINJA_DELIMITERS.sub(lambda match: "{{ '" + match.group() + "' }}", text)
    # ... then put Copier expressions where the markers are.
    text = text.replace(f'"uid": "{UID_PLACEHOLDER}"', f'"uid": "{{{{ {UID_EXPRESSION} }}}}"')
    for marker, expression in PLACEHOLDERS.items():
        text = text.replace(marker, f"{{{{ {expression} }}}}")
    leftover = re.search(r"__gw_\w+__", text)
    if leftover:  # pragma: no cover - a marker without an expression is a bug in this module
        raise AssertionError(f"placeholder {leftover.group()} has no Copier expression")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m groundwork.dashboards.template", description="Regenerate the deploy template's dashboard."
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed template is stale")
    args = parser.parse_args(argv)
    target = find_template_root() / TEMPLATE_FILE
    wanted = jinja_template()
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if args.check:
        if current != wanted:
            print(
                f"error: {TEMPLATE_FILE} is stale:"
                " regenerate it with 'uv run python -m groundwork.dashboards.template'",
                file=sys.stderr,
            )
            return 1
        print(f"{TEMPLATE_FILE} is current")
        return 0
    if current != wanted:
        target.write_text(wanted, encoding="utf-8")
        print(f"wrote {TEMPLATE_FILE}")
    else:
        print(f"{TEMPLATE_FILE} already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
