"""Read a stack's configuration from the project files, without the Pulumi engine.

`groundwork up` checks a stack before Pulumi runs: the defaults declared in `infra/Pulumi.yaml` overlaid with
the values of `infra/Pulumi.<stack>.yaml`, as bare keys, ready for `settings.parse_settings`. Pulumi merges
the same two files the same way when it runs the program.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from groundwork.infra.settings import NAMESPACE, InvalidStackConfig

PROJECT_FILE = "Pulumi.yaml"


@dataclass(frozen=True)
class ConfigKey:
    """One key declared in Pulumi.yaml's `config` block."""

    name: str
    type: str
    description: str
    default: object


def declared_keys(infra_dir: Path) -> dict[str, ConfigKey]:
    """Every config key infra/Pulumi.yaml declares, by bare name."""
    project = _load_yaml(infra_dir / PROJECT_FILE)
    block = project.get("config") or {}
    if not isinstance(block, Mapping):
        raise InvalidStackConfig(f"{infra_dir / PROJECT_FILE}: 'config' is not a mapping", "fix the project file")
    keys: dict[str, ConfigKey] = {}
    for name, spec in block.items():
        bare = str(name).removeprefix(f"{NAMESPACE}:")
        if not isinstance(spec, Mapping):
            raise InvalidStackConfig(f"{infra_dir / PROJECT_FILE}: config key '{name}' is not a mapping")
        keys[bare] = ConfigKey(
            name=bare,
            type=str(spec.get("type", "")),
            description=str(spec.get("description", "")),
            default=spec.get("default"),
        )
    return keys


def stack_file(infra_dir: Path, stack: str) -> Path:
    return infra_dir / f"Pulumi.{stack}.yaml"


def load_stack_values(infra_dir: Path, stack: str) -> dict[str, object]:
    """The project defaults overlaid with the stack file's `groundwork:` values (other namespaces skipped)."""
    values: dict[str, object] = {
        name: key.default for name, key in declared_keys(infra_dir).items() if key.default is not None
    }
    path = stack_file(infra_dir, stack)
    if not path.is_file():
        raise InvalidStackConfig(
            f"there is no stack '{stack}' (no {path})", "use --env kind or --env eks, or add infra/Pulumi.<stack>.yaml"
        )
    config = _load_yaml(path).get("config") or {}
    if not isinstance(config, Mapping):
        raise InvalidStackConfig(f"{path}: 'config' is not a mapping", "fix the stack file")
    for key, value in config.items():
        namespace, _, bare = str(key).rpartition(":")
        if namespace in ("", NAMESPACE):  # Pulumi writes project keys namespaced; accept bare ones too
            values[bare] = value
    return values


def _load_yaml(path: Path) -> dict[str, object]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidStackConfig(f"{path} is missing", "run from a groundwork checkout") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidStackConfig(f"{path}{where} is not valid YAML", "fix the file") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InvalidStackConfig(f"{path} is not a YAML mapping", "fix the file")
    return document
