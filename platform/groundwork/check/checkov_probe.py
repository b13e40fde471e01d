# mypy: ignore-errors
"""Run inside checkov's own tool environment (not imported by groundwork): print, as JSON, the Kubernetes kinds
that the checks allowlisted by a checkov config file can look at, or {"all": true} when that cannot be told.

Usage (from the folder the config's relative paths start at):
    uvx --from checkov==<version> python checkov_probe.py <config-file>
"""

import json
import sys

import yaml
from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.kubernetes.checks.resource.registry import registry


def _graph_kinds(check, kinds):
    types = [*(check.resource_types or []), *(check.connected_resources_types or [])]
    if any(t.lower() == "all" for t in types):
        return False
    kinds.update(types)
    return all(_graph_kinds(sub, kinds) for sub in check.sub_checks or [])


def probe(config_path):
    with open(config_path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    allow = [str(c) for c in config.get("check") or []]
    # checkov also reads a check entry without '_' as a Kubernetes namespace to allow: then any kind may matter.
    if not allow or any("_" not in c for c in allow):
        return {"all": True, "reason": "the config has no allowlist of check ids"}
    external = [str(d) for d in config.get("external-checks-dir") or []]
    for folder in external:
        registry.load_external_checks(folder)
    graph = get_graph_checks_registry("kubernetes")
    graph.load_checks()
    for folder in external:
        graph.load_external_checks(folder)
    kinds, found = set(), set()
    for checks in registry.wildcard_checks.values():
        if any(c.id in allow for c in checks):
            return {"all": True, "reason": "an allowlisted check applies to a kind pattern"}
    for entity, checks in registry.checks.items():
        for check in checks:
            if check.id in allow:
                kinds.add(entity)
                found.add(check.id)
    for check in graph.checks:
        if check.id in allow:
            found.add(check.id)
            if not _graph_kinds(check, kinds):
                return {"all": True, "reason": f"{check.id} applies to every kind"}
    missing = sorted(set(allow) - found)
    if missing:
        return {"all": True, "reason": f"allowlisted checks not found: {', '.join(missing)}"}
    return {"all": False, "kinds": sorted(kinds)}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1])))
