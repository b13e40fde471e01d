"""An overlay's kustomization.yaml as a round-trip document: read its image and version, rewrite them in place.

The dump settings are the service CI's (templates/service/.github/workflows/ci.yml.jinja, promote-dev), under
which every kustomization of the deploy template round-trips byte for byte: only the values changed move.
"""

from __future__ import annotations

import io
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from groundwork.errors import GroundworkError

VERSION_LABEL = "app.kubernetes.io/version"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class OverlayError(GroundworkError):
    """An overlay cannot be read or does not say what image it runs."""


@dataclass(frozen=True)
class Image:
    """One `images:` entry: `name` is what the base's Deployment says; the rest is what runs."""

    name: str
    new_name: str | None = None
    new_tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        return self.new_name or self.name

    @property
    def reference(self) -> str:
        tag = f":{self.new_tag}" if self.new_tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.repository}{tag}{digest}"


@dataclass(frozen=True)
class Release:
    """What an overlay runs: its image entry and its `app.kubernetes.io/version` label (None when absent)."""

    image: Image
    version: str | None


def round_trip() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load(path: Path, display: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise OverlayError(f"cannot read {display}", error.strerror or str(error)) from None
    try:
        document = round_trip().load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark is not None else display
        raise OverlayError(f"{where} is not valid YAML", "fix the file (or revert the edit that broke it)") from None
    if not isinstance(document, MutableMapping):
        raise OverlayError(f"{display} is not a kustomization", "it must be a YAML mapping with an images: list")
    return document


def dump(document: Any) -> str:
    out = io.StringIO()
    round_trip().dump(document, out)
    return out.getvalue()


def _entry(document: Any, name: str, display: str) -> MutableMapping[str, Any]:
    images = document.get("images")
    entries = [e for e in images or [] if isinstance(e, MutableMapping) and e.get("name") == name]
    if not entries:
        raise OverlayError(
            f"{display} has no images entry named {name}",
            f"add one ('images: [{{name: {name}, newTag: ..., digest: ...}}]'), as the deploy template renders it",
        )
    if len(entries) > 1:
        raise OverlayError(f"{display} has {len(entries)} images entries named {name}", "keep exactly one")
    return entries[0]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def read_release(document: Any, name: str, display: str) -> Release:
    entry = _entry(document, name, display)
    image = Image(
        name=name,
        new_name=_text(entry.get("newName")),
        new_tag=_text(entry.get("newTag")),
        digest=_text(entry.get("digest")),
    )
    versions = [
        group["pairs"][VERSION_LABEL]
        for group in document.get("labels") or []
        if isinstance(group, MutableMapping)
        and isinstance(group.get("pairs"), MutableMapping)
        and VERSION_LABEL in group["pairs"]
    ]
    return Release(image, _text(versions[0]) if versions else None)


def _styled(old: Any, new: str) -> Any:
    """`new` in the quoting style `old` was written in (a quoted tag stays quoted)."""
    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(new)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(new)
    return new


def _set(mapping: MutableMapping[str, Any], key: str, value: str | None) -> None:
    if value is None:
        mapping.pop(key, None)
    elif _text(mapping.get(key)) != value:
        mapping[key] = _styled(mapping.get(key), value)


def write_release(document: Any, name: str, release: Release, display: str) -> None:
    """Point the entry named `name` at `release` (newName only when the repository differs from `name`) and set
    every version label to its version. Keys already holding the right value are not touched."""
    entry = _entry(document, name, display)
    image = release.image
    if image.repository != name or "newName" in entry:
        _set(entry, "newName", image.repository)
    _set(entry, "newTag", image.new_tag)
    _set(entry, "digest", image.digest)
    if release.version is None:
        return
    for group in document.get("labels") or []:
        pairs = group.get("pairs") if isinstance(group, MutableMapping) else None
        if isinstance(pairs, MutableMapping) and VERSION_LABEL in pairs:
            _set(pairs, VERSION_LABEL, release.version)
