"""GW_NATIVE_7: no plaintext credentials in git. A password is never a literal in a manifest.

A database URL with its password, or a password, token or key in a literal env value or a ConfigMap, is
readable by everyone who can read the repository. The password comes from a Secret the cluster makes:
CloudNativePG's `<service>-db-app` (key `uri`; mounted as a file, CKV_K8S_35), or one External Secrets fills from
the secret store. (A `Secret` written in git is refused by CKV_GW_3.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from groundwork.policy.secret_refs import sources
from groundwork.policy.violation import Document, NativeCheck, Problem
from groundwork.policy.workloads import kind_of, mapping, ref

CHECK_ID = "GW_NATIVE_7"
NAME = "No password, token or URL with a password as a literal in a manifest: take it from a Secret"
URL_WITH_PASSWORD = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]*:[^/@\s]+@")
SECRET_NAME = re.compile(r"(?:^|_)(?:PASSWORD|PASSWD|PGPASSWORD|SECRET|TOKEN|CREDENTIALS?|API_?KEY|PRIVATE_KEY)$")
FIX = "take it from a Secret the cluster makes: CloudNativePG's <service>-db-app (key uri), or an ExternalSecret's"


def _what(name: str | None, value: str) -> str | None:
    # The pattern needs "://" and "@": without them it would still try every start, and its scheme part
    # backtracks over every run of letters (quadratic: minutes on a 5 MB ConfigMap value).
    if "://" in value and "@" in value and URL_WITH_PASSWORD.search(value):
        return "a URL with its password"
    if name is not None and SECRET_NAME.search(name.upper()):
        return "a secret"
    return None


def judge(documents: Sequence[Document]) -> list[Problem]:
    problems: list[Problem] = []
    for source in sources(documents):
        what = _what(source.env_name, source.literal) if source.literal is not None else None
        if what:
            problems.append((source.pod.ref, f"{source.where} holds {what} in plain text: {FIX}", source.path))
    for document in documents:
        if kind_of(document) != "ConfigMap":
            continue
        data = mapping(document.get("data"))
        for key, value in data.items():
            what = _what(str(key), value) if isinstance(value, str) else None
            if what:
                message = f"ConfigMap key {key} holds {what} in plain text: {FIX}"
                problems.append((ref(document), message, ("data", key)))
    return problems


CHECK = NativeCheck(CHECK_ID, "NoPlaintextCredentials", NAME, judge)
