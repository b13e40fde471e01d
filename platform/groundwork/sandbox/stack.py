"""The `sandbox` stack of infra/ through the real Pulumi engine: the CLI and the Kubernetes provider built from
their Go modules (groundwork.sandbox.toolchain), the local file backend under `.groundwork/`, and
`PULUMI_HOME` inside the sandbox's state folder, so nothing is written to the user's ~/.pulumi.

The program is infra/__main__.py itself, run as an Automation API inline program: the Python SDK serves the
language-host protocol in this process. The stand-alone Python language host (`pulumi-language-python`) would
do the same from a subprocess, but its Go module is not served by the module proxy on this machine (see
infra/README.md). The policy pack needs that host too, so the sandbox runs without it: it is exercised under
Pulumi's mocks in tests/infra.
"""

import os
import runpy
from collections.abc import Callable, Mapping
from pathlib import Path

from pulumi import automation as auto

from groundwork.errors import ActionFailed
from groundwork.infra.settings import NAMESPACE
from groundwork.sandbox.toolchain import Toolchain

PROJECT = "groundwork"
STACK = "sandbox"


class SandboxStack:
    """infra/'s `sandbox` stack, driven by the pinned Pulumi CLI."""

    def __init__(self, infra_dir: Path, backend_dir: Path, pulumi_home: Path, tools: Toolchain) -> None:
        backend_dir.mkdir(parents=True, exist_ok=True)
        pulumi_home.mkdir(parents=True, exist_ok=True)
        path = os.pathsep.join(
            [str(tools.bin_dir("pulumi")), str(tools.bin_dir("pulumi_kubernetes")), os.environ.get("PATH", "")]
        )
        env_vars = {
            "PULUMI_BACKEND_URL": backend_dir.resolve().as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", ""),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_HOME": str(pulumi_home),
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PATH": path,
        }
        program_file = infra_dir / "__main__.py"

        def program() -> None:
            runpy.run_path(str(program_file), run_name="__pulumi_inline__")

        os.environ["PATH"] = path  # the Automation API finds the CLI on this process's PATH
        try:
            self._stack = auto.create_or_select_stack(
                stack_name=STACK,
                project_name=PROJECT,
                program=program,
                opts=auto.LocalWorkspaceOptions(
                    work_dir=str(infra_dir),
                    pulumi_home=str(pulumi_home),
                    env_vars=env_vars,
                    pulumi_command=auto.PulumiCommand(skip_version_check=True),
                ),
            )
        except auto.errors.CommandError as error:
            raise ActionFailed(f"pulumi could not open stack '{STACK}': {_last_line(error)}") from None

    def set_config(self, key: str, value: str) -> None:
        self._stack.set_config(f"{NAMESPACE}:{key}", auto.ConfigValue(value=value))

    def preview(self, on_output: Callable[[str], None]) -> Mapping[str, int]:
        try:
            result = self._stack.preview(on_output=on_output, color="never")
        except auto.errors.CommandError as error:
            raise ActionFailed(f"pulumi preview failed: {_last_line(error)}", "read the output above") from None
        return {str(op): int(count) for op, count in result.change_summary.items()}

    def up(self, on_output: Callable[[str], None]) -> Mapping[str, object]:
        try:
            result = self._stack.up(on_output=on_output, color="never")
        except auto.errors.CommandError as error:
            raise ActionFailed(f"pulumi up failed: {_last_line(error)}", "read the output above") from None
        return {name: output.value for name, output in result.outputs.items()}

    def destroy(self, on_output: Callable[[str], None]) -> None:
        try:
            self._stack.destroy(on_output=on_output, color="never")
        except auto.errors.CommandError as error:
            raise ActionFailed(f"pulumi destroy failed: {_last_line(error)}", "read the output above") from None

    def outputs(self) -> Mapping[str, object]:
        return {name: output.value for name, output in self._stack.outputs().items()}


def _last_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__
