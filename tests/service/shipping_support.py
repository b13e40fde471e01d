"""Helpers for the service template's shipping tests: rendering, reading the Dockerfile and .dockerignore."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import copier

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKOV_CONFIG = REPO_ROOT / "policies" / "checkov" / "service-template.yaml"

TWO_DOWNSTREAMS: dict[str, object] = {
    "template": "service",
    "service_name": "checkout",
    "owner_team": "team-checkout",
    "domain": "commerce",
    "downstreams": ["inventory", "payment"],
    "description": 'Turns "baskets" into orders: café edition',
}
OTHER_REGISTRY: dict[str, object] = {
    "template": "service",
    "service_name": "a-b-c",
    "owner_team": "team-platform",
    "domain": "platform",
    "downstreams": [],
    "http_port": 9000,
    "container_registry": "registry.example.com/acme/services",
    "gitops_repo": "example-org/gitops.platform",
}


def render(dest: Path, answers: Mapping[str, object], template: str = "service") -> Path:
    """Render this checkout's template as `copier copy --vcs-ref HEAD --defaults --data ...` would."""
    copier.run_copy(
        str(REPO_ROOT),
        dest,
        data={**answers, "template": template},
        defaults=True,
        quiet=True,
        unsafe=False,
        vcs_ref="HEAD",  # this checkout's template, never the latest tag (a clone may have no tags)
    )
    return dest


def render_entry(root: Path, answers: Mapping[str, object]) -> Path:
    """Render the deploy template as a platform repository holds it: `root/gitops/apps/<service>`, with the shared
    kustomize components every entry uses beside it (gitops/components)."""
    shutil.copytree(REPO_ROOT / "gitops" / "components", root / "gitops" / "components")
    return render(root / "gitops" / "apps" / str(answers["service_name"]), answers, template="deploy")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int  # index of the FROM this instruction belongs to


def dockerfile_instructions(text: str) -> list[Instruction]:
    """Instructions of a Dockerfile: comments dropped, `\\` continuations joined, grouped by stage."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        logical = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = logical.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), stage))
    assert not pending, "the Dockerfile ends inside a line continuation"
    return instructions


def env_assignments(arguments: str) -> dict[str, str]:
    """`ENV A=1 B="x y"` -> {"A": "1", "B": "x y"} (the key=value form only)."""
    result: dict[str, str] = {}
    for match in re.finditer(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S+)', arguments):
        value = match.group(2)
        result[match.group(1)] = json.loads(value) if value.startswith('"') else value
    return result


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore pattern (Go filepath.Match plus `**`) as a regular expression."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out += "(?:.*/)?"
            else:
                out += ".*"
            continue
        char = pattern[i]
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        else:
            out += re.escape(char)
        i += 1
    return re.compile(f"^{out}$")


def dockerignore_excludes(rules_text: str, path: str) -> bool:
    """Whether Docker leaves `path` (relative, '/'-separated) out of the build context: the last pattern that
    matches the path or one of its parent folders decides; `!` patterns put paths back."""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for line in rules_text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        cleaned = line[1:].strip() if negated else line
        cleaned = cleaned.strip("/")
        rules.append((negated, _glob_regex(cleaned)))
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def build_context(project: Path) -> list[str]:
    """Every file of `project` that `docker build .` would send, as relative '/'-separated paths."""
    ignore = (project / ".dockerignore").read_text(encoding="utf-8")
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    return [f for f in files if not dockerignore_excludes(ignore, f)]
