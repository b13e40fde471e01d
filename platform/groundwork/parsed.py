"""Reading parsed YAML or JSON whose shape nothing guarantees: a field that is not the expected container
reads as an empty one, so a check reports what is missing instead of failing on a type."""

from collections.abc import Mapping
from typing import Any

import yaml

# libyaml's loader where PyYAML was built with it: the same objects, about ten times faster than pure Python.
FastLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """One YAML document, as `yaml.safe_load` reads it."""
    return yaml.load(text, Loader=FastLoader)  # noqa: S506 (a safe loader)


def as_mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Any]:
    """A copy of `value` if it is a list, else an empty list."""
    return list(value) if isinstance(value, list) else []
