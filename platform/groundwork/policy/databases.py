"""GW_NATIVE_6: database per service. A service's pods use only their own database.

The platform gives each stateful service its own CloudNativePG `Cluster`, `<service>-db`, whose operator
writes the Secret `<service>-db-app` (the `uri`, user and password of the service's own role) and serves it
as `<service>-db-rw`/`-ro`/`-r`. A pod that names another service's Secret, or whose literal env points at
another service's database host, reads a database it does not own: the shared-database anti-pattern. The
service is the pod's `app.kubernetes.io/name` label (the workload's name without one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from groundwork.policy.secret_refs import Source, sources
from groundwork.policy.violation import Document, NativeCheck, Problem
from groundwork.policy.workloads import mapping, name_of

CHECK_ID = "GW_NATIVE_6"
NAME = "A service's pods use only its own database (CloudNativePG Cluster <service>-db and its Secrets)"
_NAME = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
SECRET = re.compile(rf"^(?P<service>{_NAME})-db-(?:app|superuser)$")
HOST = re.compile(rf"(?<![-a-z0-9.])(?P<service>{_NAME})-db-(?:rw|ro|r)(?![-a-z0-9])")


def _service(source: Source) -> str:
    label = mapping(source.pod.metadata.get("labels")).get("app.kubernetes.io/name")
    return label if isinstance(label, str) and label else name_of(source.pod.document)


def _owners(source: Source) -> list[tuple[str, str]]:
    """(owning service, how) for each database the source names."""
    if source.secret is not None:
        found = SECRET.match(source.secret)
        return [(found["service"], f"Secret {source.secret}")] if found else []
    return [(m["service"], f"host {m[0]}") for m in HOST.finditer(source.literal or "")]


def judge(documents: Sequence[Document]) -> list[Problem]:
    problems: list[Problem] = []
    for source in sources(documents):
        own = _service(source)
        for owner, how in _owners(source):
            if owner != own:
                message = (
                    f"{source.where} reads the database of '{owner}' ({how}): a service uses only its own "
                    f"database ({own}-db, its Secret {own}-db-app); get {owner}'s data through its API or events"
                )
                problems.append((source.pod.ref, message, source.path))
    return problems


CHECK = NativeCheck(CHECK_ID, "DatabasePerService", NAME, judge)
