"""`groundwork up --dry-run`: what `up` would do, from the same checks `up` starts with, changing nothing.

The stack configuration is parsed exactly as `up` parses it (so a mistake is the same one line), then the
steps are listed: configuration values that would be written, images that would be built, the Pulumi stack,
the files under `.groundwork/` that would be written. No tool runs, no file is written.
"""

from collections.abc import Callable

from groundwork.provision.fleet import discover_fleet
from groundwork.provision.orchestrate import Layout, UpOptions, resolve_settings


def describe_up(
    layout: Layout, options: UpOptions, origin: str | None, missing: Callable[[str], list[str]]
) -> list[str]:
    """The lines `up --dry-run` prints; `missing` lists the tools `up` would stop for (doctor lines)."""
    settings, to_write = resolve_settings(layout, options, origin)
    lines = [f"would provision '{options.env}' (cluster {settings.cluster_name}, environment {settings.environment})"]
    for key, value in to_write.items():
        lines.append(f"would set groundwork:{key} = {value} in infra/Pulumi.{options.env}.yaml")
    fleet = discover_fleet(layout.repository) if settings.kind is not None and options.fleet else []
    if fleet:
        names = ", ".join(service.name for service in fleet)
        lines.append(f"would build and load {len(fleet)} service image(s): {names}")
    lines.append(f"would run 'pulumi up' on stack {options.env} of {layout.infra_dir} (state in {layout.backend_dir})")
    lines.append(f"would write {layout.kubeconfig(options.env)} and {layout.record(options.env)}")
    lines.append(f"would wait up to {options.timeout_seconds:.0f} s for every Argo CD Application to be Healthy")
    gaps = missing(options.env)
    if gaps:
        lines.append(f"'up' would stop first: {len(gaps)} tool(s) need attention (run 'groundwork doctor')")
    lines.append("nothing was changed (--dry-run)")
    return lines
