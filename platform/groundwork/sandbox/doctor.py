"""`groundwork doctor --env sandbox`: what the sandbox needs on this machine, and the one command for each gap."""

import shutil

from groundwork.provision.doctor import Finding
from groundwork.sandbox.recipes import RECIPES
from groundwork.sandbox.toolchain import Toolchain

BUILD_COMMAND = "uv run groundwork sandbox build"
# Debian packages the sandbox runs besides its own builds (scripts/install-tools installs them).
SYSTEM_TOOLS = {
    "go": "apt-get install golang-go (Go 1.26 or later), or see go.dev/doc/install",
    "git": "apt-get install git",
    "openssl": "apt-get install openssl",
    "redis-server": "apt-get install redis-server",
}


def sandbox_findings(tools: Toolchain) -> list[Finding]:
    findings: list[Finding] = []
    for name, fix in SYSTEM_TOOLS.items():
        found = shutil.which(name)
        findings.append(
            Finding(name, "ok" if found else "missing", "found" if found else "", "any", "" if found else fix)
        )
    for name in RECIPES:
        pin = tools.pin(name)
        if tools.built(name):
            findings.append(Finding(name, "ok", pin.version, pin.version, ""))
        else:
            findings.append(
                Finding(name, "missing", "", pin.version, f"build it from {pin.module}@{pin.version}: {BUILD_COMMAND}")
            )
    return findings
