"""Where a pod takes configuration from: each Secret it names and each literal env value, with the field's
path, so a finding lands on the line that wrote it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from groundwork.policy.pss.pods import Pod, pods
from groundwork.policy.violation import Document, FieldPath
from groundwork.policy.workloads import mapping


@dataclass(frozen=True)
class Source:
    """One Secret reference or literal env value of a pod."""

    pod: Pod
    where: str  # e.g. "container 'order' env APP_DATABASE_URL", "volume 'creds'"
    secret: str | None  # the Secret's name, for a reference
    literal: str | None  # the value, for a literal env var
    env_name: str | None
    path: FieldPath


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(value: Any, key: str = "name") -> str | None:
    name = mapping(value).get(key)
    return name if isinstance(name, str) and name else None


def sources(documents: Sequence[Document]) -> Iterator[Source]:
    for pod in pods(documents):
        for container in pod.containers():
            for index, entry in enumerate(_list(container.body.get("env"))):
                env_name = _name(entry)
                where = f"{container.label} env {env_name or f'#{index}'}"
                secret = _name(mapping(mapping(entry).get("valueFrom")).get("secretKeyRef"))
                value = mapping(entry).get("value")
                if secret:
                    path = container.at("env", index, "valueFrom", "secretKeyRef", "name")
                    yield Source(pod, where, secret, None, env_name, path)
                elif isinstance(value, str) and value:
                    yield Source(pod, where, None, value, env_name, container.at("env", index, "value"))
            for index, entry in enumerate(_list(container.body.get("envFrom"))):
                secret = _name(mapping(entry).get("secretRef"))
                if secret:
                    path = container.at("envFrom", index, "secretRef", "name")
                    yield Source(pod, f"{container.label} envFrom", secret, None, None, path)
        for index, volume in enumerate(_list(pod.spec.get("volumes"))):
            where = f"volume '{mapping(volume).get('name', index)}'"
            secret = _name(mapping(volume).get("secret"), "secretName")
            if secret:
                yield Source(pod, where, secret, None, None, pod.at("volumes", index, "secret", "secretName"))
            for number, item in enumerate(_list(mapping(mapping(volume).get("projected")).get("sources"))):
                secret = _name(mapping(item).get("secret"))
                if secret:
                    path = pod.at("volumes", index, "projected", "sources", number, "secret", "name")
                    yield Source(pod, where, secret, None, None, path)
