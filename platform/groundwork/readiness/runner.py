"""Assess a repository: load the catalog, the GitOps entries and CODEOWNERS once, start the stack builds, get
the service repositories (checkouts or rendered), then judge the six items."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from groundwork.catalog.codeowners import CodeOwners, find_codeowners, load_codeowners
from groundwork.catalog.entities import Component, parse_entity
from groundwork.catalog.graph import declared_graph
from groundwork.catalog.load import load_catalog, shown_path
from groundwork.catalog.yamlines import load_documents
from groundwork.console import quiet
from groundwork.errors import GroundworkError
from groundwork.paths import CATALOG_FILE, GITOPS_DIR, STATE_DIR
from groundwork.readiness.context import Context
from groundwork.readiness.entries import Entry, load_entries
from groundwork.readiness.items import autonomy, boundaries, deployment, monitoring, ownership, provisioning
from groundwork.readiness.model import Item, Report
from groundwork.readiness.service_repos import ServiceRepos, checkouts, rendered
from groundwork.readiness.stacks import STACKS, StackBuilder, build_stacks

ITEMS = (provisioning, monitoring, deployment, ownership, boundaries, autonomy)


@dataclass(frozen=True)
class ReadinessOptions:
    """`service_repos`: checkouts named after the services (default: render them); `template`: the groundwork
    checkout to render them from; `state_dir`: where `groundwork up` wrote its records (default .groundwork/);
    `stack_builder`: builds the infra stacks under mocks (a port, so a caller can share one build)."""

    service_repos: Path | None = None
    template: Path | None = None
    state_dir: Path | None = None
    stack_builder: StackBuilder = build_stacks
    progress: Callable[[str], None] = quiet  # hears each stage once the inputs were read (the CLI's status line)


def locate(path: Path) -> Path:
    path = path.expanduser().resolve()
    if not path.is_dir():
        raise GroundworkError(f"{path} is not a folder", "pass the platform repository's root")
    if not (path / GITOPS_DIR).is_dir() and not (path / CATALOG_FILE).is_file():
        raise GroundworkError(
            f"{path} holds neither {GITOPS_DIR}/ nor {CATALOG_FILE}", "pass the platform repository's root"
        )
    return path


def assess(path: Path, options: ReadinessOptions | None = None) -> Report:
    options = options or ReadinessOptions()
    root = locate(path)
    catalog = load_catalog(root)
    graph = declared_graph(catalog)
    entries = load_entries(root)
    codeowners_file = find_codeowners(root)
    codeowners = load_codeowners(codeowners_file, shown_path(root, codeowners_file)) if codeowners_file else None
    state_dir = options.state_dir or root / STATE_DIR
    # Checkouts are read before the stack builds start, so that a bad one stops the report at once.
    repos = checkouts(options.service_repos, entries) if options.service_repos is not None else None
    descriptors = _service_descriptors(repos, entries) if repos is not None else None
    with (
        tempfile.TemporaryDirectory(prefix="groundwork-readiness-") as scratch,
        ThreadPoolExecutor(1, thread_name_prefix="groundwork-stacks") as pool,
    ):
        options.progress(f"building the {', '.join(STACKS)} stacks under mocks")
        stacks = pool.submit(options.stack_builder, root, STACKS)
        if repos is None or descriptors is None:  # rendered while the stacks build
            options.progress(f"rendering {len(entries)} services from their GitOps entries' answers")
            repos = rendered(root, entries, Path(scratch), options.template)
            descriptors = _service_descriptors(repos, entries)
        components, repo_codeowners = descriptors
        context = Context(
            root=root,
            catalog=catalog,
            graph=graph,
            entries=entries,
            repos=repos,
            codeowners=codeowners,
            service_components=components,
            service_codeowners=repo_codeowners,
            state_dir=state_dir,
            stacks=stacks.result,
        )
        options.progress("judging the six items")
        items = tuple(Item(module.SPEC, tuple(module.assess(context))) for module in ITEMS)
    sources = {
        "catalog": f"{CATALOG_FILE} and the {len(catalog.files) - 1} files it locates",
        "gitops": f"{len(entries)} GitOps entries under gitops/apps/",
        "codeowners": codeowners.file if codeowners else "(none)",
        "service_repos": repos.description,
        "provisioning_record": f"{shown_path(root, state_dir)}/provision-<env>.json",
    }
    return Report(str(root), items, sources, graph.context_map())


def _service_descriptors(
    repos: ServiceRepos, entries: Sequence[Entry]
) -> tuple[Mapping[str, list[Component]], Mapping[str, CodeOwners | None]]:
    """Each service repository's own Component descriptors and CODEOWNERS (malformed: `file:line`, stop)."""
    components: dict[str, list[Component]] = {}
    owners: dict[str, CodeOwners | None] = {}
    for entry in entries:
        repo = repos.paths[entry.name]
        descriptor = repo / CATALOG_FILE
        found: list[Component] = []
        if descriptor.is_file():
            for document in load_documents(descriptor, repos.shown(entry.name, descriptor)):
                entity = parse_entity(document)
                if isinstance(entity, Component) and entity.name == entry.name:
                    found.append(entity)
        components[entry.name] = found
        file = find_codeowners(repo)
        owners[entry.name] = load_codeowners(file, repos.shown(entry.name, file)) if file else None
    return components, owners
