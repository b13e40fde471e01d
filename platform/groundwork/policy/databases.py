"""GW_NATIVE_6: database per service. A service's pods use only their own database, and its Cluster holds only
its own database and role.

The platform gives each stateful service its own CloudNativePG `Cluster`, `<service>-db`, bootstrapping the
database `<service>` owned by the role `<service>` ('-' written '_'); its operator writes the Secret
`<service>-db-app` (the `uri`, user and password of that role) and serves it as `<service>-db-rw`/`-ro`/`-r`.
A pod that names another service's Secret, or whose literal env points at another service's database host, reads
a database it does not own: the shared-database anti-pattern. So does a Cluster named for another service, one
that bootstraps a database or role of another name (two services sharing one), or one that copies or replicates
another service's database (an external cluster on its host). A pod's or Cluster's service is its
`app.kubernetes.io/name` label, else its namespace (one per service), else the workload's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from groundwork.policy.secret_refs import Source, sources
from groundwork.policy.violation import Document, FieldPath, NativeCheck, Problem
from groundwork.policy.workloads import kind_of, mapping, name_of, namespace_of, ref

CHECK_ID = "GW_NATIVE_6"
NAME = "A service uses only its own database: its CloudNativePG Cluster <service>-db, its role and its Secrets"
_NAME = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
SECRET = re.compile(rf"^(?P<service>{_NAME})-db-(?:app|superuser)$")
HOST = re.compile(rf"(?<![-a-z0-9.])(?P<service>{_NAME})-db-(?:rw|ro|r)(?![-a-z0-9])")
CLUSTER_API = "postgresql.cnpg.io/"
# The bootstrap methods of a Cluster: each may name the database and its owner, and a source to copy from.
BOOTSTRAP_METHODS = ("initdb", "recovery", "pg_basebackup")


def _label(document: Document, metadata: object) -> str:
    label = mapping(mapping(metadata).get("labels")).get("app.kubernetes.io/name")
    return label if isinstance(label, str) and label else ""


def _service(source: Source) -> str:
    document = source.pod.document
    return (
        _label(document, source.pod.metadata)
        or _label(document, document.get("metadata"))
        or namespace_of(document)
        or name_of(document)
    )


def _owners(source: Source) -> list[tuple[str, str]]:
    """(owning service, how) for each database the source names."""
    if source.secret is not None:
        found = SECRET.match(source.secret)
        return [(found["service"], f"Secret {source.secret}")] if found else []
    return [(m["service"], f"host {m[0]}") for m in HOST.finditer(source.literal or "")]


def _pod_problems(documents: Sequence[Document]) -> Iterator[Problem]:
    for source in sources(documents):
        own = _service(source)
        for owner, how in _owners(source):
            if owner != own:
                message = (
                    f"{source.where} reads the database of '{owner}' ({how}): a service uses only its own "
                    f"database ({own}-db, its Secret {own}-db-app); get {owner}'s data through its API or events"
                )
                yield (source.pod.ref, message, source.path)


def own_database(service: str) -> str:
    """The database and role a service's Cluster bootstraps: its name, with '_' for '-' (a bare identifier)."""
    return service.replace("-", "_")


def _cluster_problems(cluster: Document) -> Iterator[Problem]:
    own = _label(cluster, cluster.get("metadata")) or namespace_of(cluster)
    if not own:
        return
    where, name, identifier = ref(cluster), name_of(cluster), own_database(own)
    fix = f"{own}'s Cluster is {own}-db and holds only the database '{identifier}' owned by the role '{identifier}'"
    if name != f"{own}-db":
        owner = name.removesuffix("-db") if name.endswith("-db") else ""
        said = f"is named for '{owner}'" if owner else f"is not named {own}-db"
        yield (where, f"Cluster {name} of {own} {said}: {fix}", ("metadata", "name"))
    spec = mapping(cluster.get("spec"))
    bootstrap = mapping(spec.get("bootstrap"))
    methods = [m for m in BOOTSTRAP_METHODS if m in bootstrap] or ["initdb"]
    for method in methods:
        body = mapping(bootstrap.get(method))
        wrong = [(key, body.get(key)) for key in ("database", "owner") if body.get(key) != identifier]
        if wrong:
            said = " and ".join(
                f"{key} '{value}'" if isinstance(value, str) and value else f"no {key} (the operator's 'app')"
                for key, value in wrong
            )
            path: FieldPath = ("spec", "bootstrap", method, wrong[0][0])
            yield (where, f"Cluster {name} bootstraps ({method}) {said}, not {own}'s own: {fix}", path)
    for index, external in enumerate(spec.get("externalClusters") or []):
        host = mapping(mapping(external).get("connectionParameters")).get("host")
        for match in HOST.finditer(host if isinstance(host, str) else ""):
            if match["service"] != own:
                path = ("spec", "externalClusters", index, "connectionParameters", "host")
                message = (
                    f"Cluster {name} copies or follows the database of '{match['service']}' (external cluster host "
                    f"{match[0]}): {fix}; get {match['service']}'s data through its API or events"
                )
                yield (where, message, path)


def judge(documents: Sequence[Document]) -> list[Problem]:
    problems = list(_pod_problems(documents))
    for document in documents:
        api_version = document.get("apiVersion")
        if kind_of(document) == "Cluster" and isinstance(api_version, str) and api_version.startswith(CLUSTER_API):
            problems += _cluster_problems(document)
    return problems


CHECK = NativeCheck(CHECK_ID, "DatabasePerService", NAME, judge)
