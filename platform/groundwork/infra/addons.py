"""Which add-ons a cluster can enable: the `enable_<name>` labels the ApplicationSets under the bootstrap
folder select on. Stack configuration lists add-on names; an unknown one is refused before anything runs."""

from collections.abc import Iterator
from pathlib import Path

import yaml

from groundwork.errors import GroundworkError

LABEL_PREFIX = "enable_"


def known_addons(bootstrap_dir: Path) -> frozenset[str]:
    """Every `<name>` of an `enable_<name>` cluster label some ApplicationSet under `bootstrap_dir` selects."""
    names: set[str] = set()
    for path in sorted(bootstrap_dir.rglob("*.yaml")):
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise GroundworkError(f"{path}{where} is not valid YAML", "fix it ('groundwork check' shows why)") from None
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "ApplicationSet":
                names.update(_enable_labels(document))
    return frozenset(names)


def addon_labels(addons: tuple[str, ...]) -> dict[str, str]:
    """The cluster Secret labels that switch `addons` on."""
    return {f"{LABEL_PREFIX}{addon}": "true" for addon in addons}


def _enable_labels(node: object) -> Iterator[str]:
    """Label keys `enable_*` under any `matchLabels` or `matchExpressions` inside `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "matchLabels" and isinstance(value, dict):
                yield from (str(k)[len(LABEL_PREFIX) :] for k in value if str(k).startswith(LABEL_PREFIX))
            elif key == "matchExpressions" and isinstance(value, list):
                for expression in value:
                    label = str(expression.get("key", "")) if isinstance(expression, dict) else ""
                    if label.startswith(LABEL_PREFIX):
                        yield label[len(LABEL_PREFIX) :]
            else:
                yield from _enable_labels(value)
    elif isinstance(node, list):
        for item in node:
            yield from _enable_labels(item)
