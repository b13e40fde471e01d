"""Set-up for the infrastructure tests. Pulumi mocks are installed before any groundwork.infra module is
imported (pulumi/examples testing-unit-py); each program run then installs fresh ones (infra_harness)."""

from __future__ import annotations

import warnings

import pulumi
from infra_harness import RecordingMocks, ensure_event_loop

ensure_event_loop()
pulumi.runtime.set_mocks(RecordingMocks(), project="groundwork", stack="import", preview=False)

# The provider SDKs warn when their modules load, about classes groundwork does not use (NodeGroup v1,
# getDefaultVpc, EncryptionControl): load them once here, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import pulumi_aws.ec2  # noqa: F401
    import pulumi_awsx.ec2  # noqa: F401
    import pulumi_eks  # noqa: F401
