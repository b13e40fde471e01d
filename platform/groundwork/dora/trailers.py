"""The commit trailers a deployment carries: written by the service CI (promote-dev) and `groundwork promote`,
read by `groundwork dora`. One list of keys, so writer and reader cannot drift apart."""

from __future__ import annotations

import re
from collections.abc import Mapping

SERVICE = "Service"
ENVIRONMENT = "Environment"
SOURCE_COMMIT = "Source-Commit"
IMAGE_DIGEST = "Image-Digest"
IMAGE_BUILT_AT = "Image-Built-At"
PROMOTED_FROM = "Promoted-From"

_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]+(\S.*?)\s*$")
_REVERTED = re.compile(r"This reverts commit ([0-9a-f]{7,40})")


def parse_trailers(message: str) -> dict[str, str]:
    """`Key: value` lines of the message's last paragraph (git's trailer block); the first value of a key wins.

    The subject alone is never a trailer block, so `order: deploy abc` is not read as a trailer."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if match is None:
            return {}  # git only reads a paragraph made of trailers
        found.setdefault(match.group(1), match.group(2))
    return found


def format_trailers(trailers: Mapping[str, str]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in trailers.items() if value)


def is_revert(message: str) -> bool:
    """`git revert` and GitHub's revert button both start the subject with `Revert "`."""
    subject = message.strip().splitlines()[0] if message.strip() else ""
    return subject.startswith('Revert "') or _REVERTED.search(message) is not None
