"""A service's rule groups with its own name taken out, so that services whose rules differ only by that name
are judged once (rules/promtool.py) and the verdict reported for each of them under its own name.

Renaming is sound only where the name is data that promtool compares for equality and nothing else: the values
of label matchers, the values of rule labels and the text of annotations outside template actions, and group
names (unique within a file, used nowhere else). Everywhere else a name can change a verdict: a metric or alert
name, a label name, a PromQL keyword, a comment, a template action, a regex that matches part of the name, a
string argument (label_replace), a number ("inf"). So a set is canonicalised only when, after renaming those
places, the name is left nowhere in it; otherwise `canonical` returns None and the set is judged as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# Stands for the service's name in a canonical form (a set that holds it is not canonicalised).
PLACEHOLDER = "\u27e8service\u27e9"

_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
# What decides the meaning of a string literal in PromQL: the braces of a selector, other literals, comments.
_TOKEN = re.compile(r'[{}]|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`|#[^\n]*')
_MATCHER_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*$")
_LITERAL_ALTERNATION = re.compile(r"[A-Za-z0-9_/:-]*(\|[A-Za-z0-9_/:-]*)*")
_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def canonical(groups: list[Any], name: str, constants: Iterable[str] = ()) -> list[Any] | None:
    """`groups` with `name` replaced by PLACEHOLDER where that is sound; None where it is not (see above).
    `constants` are the values the generated tests give labels of their own accord: a name inside one of them
    would compare equal to a constant in one service and not in another."""
    if not _nameable(name, constants):
        return None
    renamed_labels: set[str] = set()
    regex_labels: set[str] = set()
    out: list[Any] = []
    for group in groups:
        if not isinstance(group, Mapping):
            return None
        new_group = dict(group)
        if isinstance(group.get("name"), str):
            new_group["name"] = _rename(group["name"], name)
        if isinstance(group.get("rules"), list):
            new_group["rules"] = [_rule(r, name, renamed_labels, regex_labels) for r in group["rules"]]
        out.append(new_group)
    if renamed_labels & regex_labels:
        return None  # a regex (not a plain list of values) over a label that carries the name
    if name in json.dumps(out, ensure_ascii=False) or PLACEHOLDER in json.dumps(groups, ensure_ascii=False):
        return None
    return out


def rename(text: str, old: str, new: str) -> str:
    """`text` with every whole-word `old` (a service's name) replaced by `new`: a message about one service's
    rules, told about another service whose rules differ only by the name."""
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])", new.replace("\\", r"\\"), text)


def _rule(rule: Any, name: str, renamed_labels: set[str], regex_labels: set[str]) -> Any:
    if not isinstance(rule, Mapping):
        return rule
    new = dict(rule)
    if isinstance(rule.get("expr"), str):
        new["expr"] = _expr(rule["expr"], name, renamed_labels, regex_labels)
    for key in ("labels", "annotations"):
        values = rule.get(key)
        if isinstance(values, Mapping):
            new[key] = {k: _template(v, name) if isinstance(v, str) else v for k, v in values.items()}
            if key == "labels":  # series labels: a value naming the service, or computed from other labels
                renamed_labels.update(
                    str(k) for k, v in values.items() if isinstance(v, str) and (name in v or "{{" in v)
                )
    return new


def _expr(expr: str, name: str, renamed_labels: set[str], regex_labels: set[str]) -> str:
    """Rename inside label matchers' values only; any other string literal (a label_replace argument, a quoted
    label or metric name) leaves the expression as it is. A label matched by a real regex is remembered."""
    parts: list[str] = []
    depth = last = between = 0
    for token in _TOKEN.finditer(expr):
        text = token.group()
        if text in "{}":
            depth += 1 if text == "{" else -1
        elif text[0] != "#":  # a string literal (a comment is left as it is)
            before = _MATCHER_BEFORE.search(re.split(r"[{,]", expr[between : token.start()])[-1])
            if before is None or depth <= 0:
                return expr
            label, op = before.group(1), before.group(2)
            if op in ("=~", "!~") and not _LITERAL_ALTERNATION.fullmatch(text[1:-1]):
                regex_labels.add(label)
            if name in text:
                renamed_labels.add(label)
            parts += [expr[last : token.start()], _rename(text, name)]
            last = token.end()
        between = token.end()
    parts.append(expr[last:])
    return "".join(parts)


def _template(text: str, name: str) -> str:
    """Rename in the literal text of a template, never inside a `{{ }}` action."""
    parts: list[str] = []
    last = 0
    for action in _ACTION.finditer(text):
        parts += [_rename(text[last : action.start()], name), action.group()]
        last = action.end()
    parts.append(_rename(text[last:], name))
    return "".join(parts)


def _rename(text: str, name: str) -> str:
    return rename(text, name, PLACEHOLDER)


def _nameable(name: str, constants: Iterable[str]) -> bool:
    """A service's name (a DNS label) that is neither a number nor the fraction of one ("1.e-3"), nor part of a
    value the tests choose."""
    numeric = _is_number(name) or _is_number(f"1.{name}")
    return bool(_DNS_LABEL.fullmatch(name)) and not numeric and not any(name in c for c in constants)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
