"""groundwork's Pulumi policy pack: every policy of guardrails.py, all mandatory."""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# The pack's folder is not a package: make guardrails.py importable however Pulumi starts this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guardrails import POLICIES

PolicyPack(name="groundwork", policies=list(POLICIES), enforcement_level=EnforcementLevel.MANDATORY)
