"""What `groundwork new service` may name: the teams (Groups), domains and services the catalog knows.

A name the catalog does not know is refused in one line that names the close matches, as Backstage's owner and
system pickers only offer real entries; `--new-team`/`--new-domain` say a new one is really meant, and
`new_entities` writes it in the same YAML as its siblings.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from groundwork.catalog.entities import Domain, Group, System
from groundwork.catalog.load import Catalog
from groundwork.errors import GroundworkError


@dataclass(frozen=True)
class KnownNames:
    teams: tuple[str, ...]
    domains: tuple[str, ...]
    services: tuple[str, ...]


def known_names(catalog: Catalog, services: Iterable[str]) -> KnownNames:
    teams = tuple(sorted(g.name for g in catalog.groups.values() if g.type == "team"))
    domains = tuple(sorted(d.name for d in catalog.domains.values()))
    return KnownNames(teams, domains, tuple(sorted(services)))


def close_matches(name: str, known: Sequence[str]) -> str:
    """'did you mean a, b?' for the known names nearest `name`, or the list of them when none is near."""
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
    if near:
        return f"did you mean {' or '.join(near)}?"
    shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
    return f"known: {shown}" if known else "the catalog has none yet"


def refuse_unknown(option: str, name: str, known: Sequence[str], what: str, escape: str = "") -> None:
    """One line: `option` names `name`, which is not one of the catalog's `what`; the close matches; the escape."""
    if name in known:
        return
    fix = close_matches(name, known) + (f" ({escape} to create it)" if escape else "")
    raise GroundworkError(f"{option} '{name}' is not a {what} in the catalog", fix)


def _file_of(entities: Iterable[Group | Domain | System], root: Path, kind: str) -> Path:
    for entity in entities:
        return root / entity.where.file
    raise GroundworkError(f"the catalog has no {kind} yet, so there is no file to add one to", f"add a {kind} by hand")


def new_team_text(team: str, org: str) -> str:
    return (
        "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n"
        f"  name: {team}\n  title: {team}\n"
        f'  description: "Created by groundwork new service --new-team: say what the team does"\n'
        f"  annotations:\n    github.com/team-slug: {org}/{team}\n"
        f"    groundwork.dev/on-call: https://oncall.example.com/schedules/{team}\n"
        f"spec:\n  type: team\n  profile:\n    displayName: {team}\n    email: {team}@example.com\n"
        f"  parent: group:{org}\n  children: []\n  members: []\n"
    )


def new_domain_texts(domain: str, team: str) -> tuple[str, str]:
    """The Domain and the System named after it (a Component's spec.system is its domain's System)."""
    domain_text = (
        "---\napiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n"
        f'  name: {domain}\n  description: "Created by groundwork new service --new-domain: say what it covers"\n'
        f"spec:\n  owner: group:{team}\n"
    )
    system_text = (
        "---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n"
        f'  name: {domain}\n  description: "The services of the {domain} domain"\n'
        f"spec:\n  owner: group:{team}\n  domain: domain:{domain}\n"
    )
    return domain_text, system_text


def new_entities(catalog: Catalog, team: str | None, domain: str | None, owner: str, org: str) -> dict[Path, str]:
    """File -> text to append for a new team and/or domain, beside the existing ones of their kind."""
    root = catalog.root
    added: dict[Path, str] = {}
    if team is not None:
        file = _file_of(catalog.groups.values(), root, "Group")
        added[file] = added.get(file, "") + new_team_text(team, org)
    if domain is not None:
        domain_text, system_text = new_domain_texts(domain, owner)
        file = _file_of(catalog.domains.values(), root, "Domain")
        added[file] = added.get(file, "") + domain_text
        file = _file_of(catalog.systems.values(), root, "System")
        added[file] = added.get(file, "") + system_text
    return added
