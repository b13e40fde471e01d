"""GitHub CODEOWNERS: which owners a path needs a review from.

GitHub reads the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS`. Each line is a gitignore-style
pattern followed by owners (`@org/team`, `@user`, or an e-mail); the LAST matching line decides, and a pattern
with no owners leaves the path unowned. Any one of a line's owners may approve. Not supported by GitHub, and
refused here: `!` negation and `[...]` ranges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from groundwork.catalog.errors import CatalogError

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
_OWNER = re.compile(r"^(@[A-Za-z0-9][-A-Za-z0-9_]*(/[A-Za-z0-9][-A-Za-z0-9_.]*)?|[^@\s]+@[^@\s]+)$")


@dataclass(frozen=True)
class Rule:
    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str]
    directory_only: bool
    files_only: bool

    def matches(self, path: str) -> bool:
        """Whether the rule covers the file `path` (relative, '/'-separated): the file, or a folder above it
        unless the pattern's last part is a wildcard (`docs/*` does not reach `docs/a/b.md`, as GitHub says)."""
        parts = path.strip("/").split("/")
        candidates = [] if self.files_only else ["/".join(parts[:end]) for end in range(1, len(parts))]
        if not self.directory_only:
            candidates.append("/".join(parts))
        return any(self.regex.fullmatch(candidate) for candidate in candidates)


@dataclass(frozen=True)
class CodeOwners:
    file: str
    rules: tuple[Rule, ...]

    def rule_for(self, path: str) -> Rule | None:
        """The line that decides `path`'s owners (the last match), or None when no line matches."""
        for rule in reversed(self.rules):
            if rule.matches(path):
                return rule
        return None

    def owners_of(self, path: str) -> tuple[str, ...]:
        rule = self.rule_for(path)
        return rule.owners if rule else ()


def find_codeowners(root: Path) -> Path | None:
    for location in LOCATIONS:
        if (root / location).is_file():
            return root / location
    return None


def load_codeowners(file: Path, shown: str) -> CodeOwners:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(shown, 1, f"cannot be read ({error.__class__.__name__})") from None
    return parse_codeowners(text, shown)


def parse_codeowners(text: str, shown: str) -> CodeOwners:
    rules: list[Rule] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        fields = _split(line)
        pattern, owners = fields[0], tuple(fields[1:])
        if pattern.startswith("!") or "[" in pattern.replace("\\[", ""):
            raise CatalogError(shown, number, f"pattern {pattern} uses '!' or '[...]', which CODEOWNERS ignores")
        for owner in owners:
            if not _OWNER.match(owner):
                raise CatalogError(
                    shown, number, f"owner {owner} is not @user, @org/team or an e-mail address", "fix the owner"
                )
        directory_only = pattern.endswith("/")
        last = pattern.rstrip("/").rsplit("/", 1)[-1]
        files_only = not directory_only and ("*" in last or "?" in last) and last != "**"
        rules.append(Rule(pattern, owners, number, re.compile(_regex(pattern)), directory_only, files_only))
    return CodeOwners(shown, tuple(rules))


def _strip_comment(line: str) -> str:
    out = []
    escaped = False
    for char in line:
        if char == "#" and not escaped:
            break
        escaped = char == "\\" and not escaped
        out.append(char)
    return "".join(out)


def _split(line: str) -> list[str]:
    # "\ " escapes a space inside a pattern.
    return [part.replace("\0", " ") for part in line.replace("\\ ", "\0").split()]


def _regex(pattern: str) -> str:
    """gitignore semantics: anchored when the pattern has a '/' before its end, else matched at any depth."""
    body = pattern.rstrip("/")
    anchored = body.startswith("/") or "/" in body
    body = body.lstrip("/")
    regex = ""
    index = 0
    while index < len(body):
        if body.startswith("**/", index):
            regex += "(?:.*/)?"
            index += 3
        elif body.startswith("/**", index) and index + 3 == len(body):
            regex += "/.*"
            index += 3
        elif body.startswith("**", index):
            regex += ".*"
            index += 2
        elif body[index] == "*":
            regex += "[^/]*"
            index += 1
        elif body[index] == "?":
            regex += "[^/]"
            index += 1
        elif body[index] == "\\" and index + 1 < len(body):
            regex += re.escape(body[index + 1])
            index += 2
        else:
            regex += re.escape(body[index])
            index += 1
    if not body:  # "/" alone: the whole repository
        return ".*"
    return regex if anchored else f"(?:.*/)?{regex}"
