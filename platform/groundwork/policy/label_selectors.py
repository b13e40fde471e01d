"""Kubernetes label selectors (metav1.LabelSelector) evaluated against a set of labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether `selector` ({matchLabels, matchExpressions}) selects an object with `labels`.

    As the API server does: an empty selector (`{}`) selects everything, a missing one (None) nothing, and an
    expression with an unknown operator selects nothing.
    """
    if not isinstance(selector, Mapping):
        return False
    for key, value in _string_map(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return False
    for expression in expressions:
        if not isinstance(expression, Mapping) or not _expression_matches(expression, labels):
            return False
    return True


def _expression_matches(expression: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key = str(expression.get("key", ""))
    operator = expression.get("operator")
    raw_values = expression.get("values") or []
    values = {str(v) for v in raw_values} if isinstance(raw_values, list) else set()
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False


def labels_subset(match_labels: Any, labels: Mapping[str, str]) -> bool:
    """Istio's WorkloadSelector: a non-empty `matchLabels` all present in `labels` (no expressions)."""
    wanted = _string_map(match_labels)
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())
