"""Reading a Go module's go.mod, enough to build one of its programs from a wrapper module.

Several upstream modules (Kubernetes, Argo CD, Pulumi, etcd) cannot be installed with a plain `go install
module@version`, because their go.mod has `replace` directives that point into their own repository
(`k8s.io/api => ./staging/src/k8s.io/api`). A wrapper module that requires the program's module builds it,
as long as it carries equivalent replaces: the ones that name another module version are copied as they are,
and the ones that name a local folder are pointed at a published version of the same module
(`wrapper_replaces`).
"""

import re
from dataclasses import dataclass

_REPLACE_LINE = re.compile(r"^\s*(\S+)(?:\s+(\S+))?\s+=>\s+(\S+)(?:\s+(\S+))?\s*(?://.*)?$")
_REQUIRE_LINE = re.compile(r"^\s*(\S+)\s+(v\S+)(?:\s*//.*)?$")


@dataclass(frozen=True)
class Replace:
    """One `replace old [oldversion] => new [newversion]` directive; `new_version` is empty for a folder."""

    old: str
    new: str
    new_version: str

    @property
    def local(self) -> bool:
        return self.new.startswith(("./", "../", "/"))

    def directive(self) -> str:
        return f"{self.old} => {self.new} {self.new_version}".rstrip()


@dataclass(frozen=True)
class GoMod:
    """The parts of a go.mod the wrapper needs: what it requires and what it replaces."""

    requires: dict[str, str]
    replaces: tuple[Replace, ...]


def parse_gomod(text: str) -> GoMod:
    """Parse `require` and `replace` directives, in block and single-line form."""
    requires: dict[str, str] = {}
    replaces: list[Replace] = []
    block = ""
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].rstrip() if "=>" not in raw else raw.rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        if block:
            if stripped == ")":
                block = ""
                continue
            _take(block, stripped, requires, replaces)
            continue
        for keyword in ("require", "replace"):
            if stripped.startswith(keyword + " ") or stripped == keyword + " (" or stripped.startswith(keyword + "("):
                rest = stripped[len(keyword) :].strip()
                if rest == "(":
                    block = keyword
                else:
                    _take(keyword, rest, requires, replaces)
    return GoMod(requires=requires, replaces=tuple(replaces))


def _take(keyword: str, text: str, requires: dict[str, str], replaces: list[Replace]) -> None:
    if keyword == "require":
        match = _REQUIRE_LINE.match(text)
        if match:
            requires[match[1]] = match[2]
        return
    match = _REPLACE_LINE.match(text)
    if match:
        replaces.append(Replace(old=match[1], new=match[3], new_version=match[4] or ""))


def staging_version(kubernetes_version: str) -> str:
    """The version of Kubernetes' staging modules for a release: v1.<minor>.<patch> -> v0.<minor>.<patch>."""
    match = re.fullmatch(r"v1\.(\d+)\.(\d+)", kubernetes_version)
    if match is None:
        raise ValueError(f"{kubernetes_version} is not a Kubernetes release such as v1.<minor>.<patch>")
    return f"v0.{match[1]}.{match[2]}"


def wrapper_replaces(gomod: GoMod, staging: str | None = None) -> list[str]:
    """The replace directives a wrapper module needs to build programs of the module `gomod` describes.

    A replace to another module version is copied. A replace to a local folder becomes a replace to the
    version the module requires (Argo CD requires its gitops-engine at a pseudo-version), or, for the
    `v0.0.0` placeholders of Kubernetes' staging modules, to `staging` (see `staging_version`).
    """
    lines: list[str] = []
    for replace in gomod.replaces:
        if "FORBIDDEN_DEPENDENCY" in replace.new:
            continue
        if not replace.local:
            lines.append(replace.directive())
            continue
        required = gomod.requires.get(replace.old, "")
        if required and required != "v0.0.0":
            lines.append(f"{replace.old} => {replace.old} {required}")
        elif staging is not None and replace.old.startswith("k8s.io/"):
            lines.append(f"{replace.old} => {replace.old} {staging}")
    return lines
