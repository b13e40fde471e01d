"""The Pulumi Automation API over infra/, kept thin: open a stack, set a config value, up, destroy, outputs.

The backend is a local folder (`.groundwork/pulumi`, a `file://` URL) unless PULUMI_BACKEND_URL is set, so
no cloud account is needed. Secrets in the state (the kubeconfig) are encrypted with the passphrase in
PULUMI_CONFIG_PASSPHRASE, empty when unset (fine for a laptop's kind cluster; set one for shared state).
"""

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from pulumi import automation as auto

from groundwork.errors import GroundworkError, last_line
from groundwork.infra.settings import NAMESPACE


class AutomationStack:
    """One stack of infra/ through a LocalWorkspace (the Pulumi CLI must be installed)."""

    def __init__(self, infra_dir: Path, env: str, backend_dir: Path, policy_pack: Path | None) -> None:
        backend_dir.mkdir(parents=True, exist_ok=True)
        env_vars = {
            "PULUMI_BACKEND_URL": os.environ.get("PULUMI_BACKEND_URL", backend_dir.resolve().as_uri()),
            "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", ""),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }
        self._policy_packs = [str(policy_pack)] if policy_pack else None
        try:
            self._stack = auto.create_or_select_stack(
                stack_name=env, work_dir=str(infra_dir), opts=auto.LocalWorkspaceOptions(env_vars=env_vars)
            )
        except auto.errors.CommandError as error:
            raise GroundworkError(f"pulumi could not open stack '{env}': {_said(error)}") from None

    def set_config(self, key: str, value: str) -> None:
        """Write `groundwork:<key>` into infra/Pulumi.<env>.yaml."""
        self._stack.set_config(f"{NAMESPACE}:{key}", auto.ConfigValue(value=value))

    def up(self, on_output: Callable[[str], None]) -> Mapping[str, object]:
        try:
            result = self._stack.up(on_output=on_output, policy_packs=self._policy_packs, color="never")
        except auto.errors.CommandError as error:
            raise GroundworkError(f"pulumi up failed: {_said(error)}", "read the output above") from None
        return {name: output.value for name, output in result.outputs.items()}

    def destroy(self, on_output: Callable[[str], None]) -> None:
        try:
            self._stack.destroy(on_output=on_output, color="never")
        except auto.errors.CommandError as error:
            raise GroundworkError(f"pulumi destroy failed: {_said(error)}", "read the output above") from None

    def outputs(self) -> Mapping[str, object]:
        return {name: output.value for name, output in self._stack.outputs().items()}


def _said(error: Exception) -> str:
    return last_line(error, type(error).__name__)
