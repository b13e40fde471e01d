"""Build Pulumi stacks of a repository's infra/ under `pulumi.runtime.set_mocks`, one after the other in this
process, and print what each registered as one JSON line:
`python -m groundwork.readiness.stack_build REPOSITORY STACK...`.

The readiness report runs it in a subprocess (the Pulumi runtime's mock state is global to a process, and the
providers' imports are paid once for all stacks). The mocks answer like the providers would for the few
outputs the program reads back (subnet ids, the KMS key ARN, the cluster's OIDC issuer, the kind kubeconfig);
nothing leaves the machine.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from groundwork.paths import INFRA_DIR

PROJECT = "groundwork"
# A stack whose repoUrl `groundwork up` has not filled in yet builds against this placeholder.
PLACEHOLDER_REPO_URL = "https://git.invalid/readiness/platform.git"
_ACCOUNT = "123456789012"
_FAKE_OUTPUTS: dict[str, dict[str, Any]] = {
    "awsx:ec2:Vpc": {
        "vpcId": "vpc-00000000000000000",
        "privateSubnetIds": ["subnet-private-a", "subnet-private-b", "subnet-private-c"],
        "publicSubnetIds": ["subnet-public-a", "subnet-public-b", "subnet-public-c"],
        "natGateways": [],
    },
    "aws:kms/key:Key": {"arn": f"arn:aws:kms:eu-west-1:{_ACCOUNT}:key/mock", "keyId": "mock"},
    "eks:index:Cluster": {
        "kubeconfigJson": '{"apiVersion": "v1", "kind": "Config"}',
        "oidcProviderArn": f"arn:aws:iam::{_ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/MOCK",
        "oidcIssuer": "oidc.eks.eu-west-1.amazonaws.com/id/MOCK",
    },
    "command:local:Command": {"stdout": "apiVersion: v1\nkind: Config\n", "stderr": ""},
}


def build(repository: Path, stack: str) -> dict[str, object]:
    import pulumi
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.proto import resource_pb2

    from groundwork.infra.program import build as build_program
    from groundwork.infra.program import load_repository_inputs
    from groundwork.infra.settings import parse_settings
    from groundwork.infra.stack_config import load_stack_values

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            outputs = dict(_FAKE_OUTPUTS.get(args.typ, {}))
            if args.typ == "aws:iam/role:Role":
                outputs = {"arn": f"arn:aws:iam::{_ACCOUNT}:role/{args.name}", "name": args.name}
            return f"{args.name}-id", {**args.inputs, **outputs}

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            token = args.token  # a provider function's name
            if token == "aws:index/getCallerIdentity:getCallerIdentity":  # noqa: S105
                return {"accountId": _ACCOUNT, "arn": f"arn:aws:iam::{_ACCOUNT}:user/mock", "userId": "MOCK"}, []
            if token == "aws:eks/getAddonVersion:getAddonVersion":  # noqa: S105
                return {**args.args, "version": "v0.0.0-eksbuild.1", "id": args.args.get("addonName", "")}, []
            return {}, []

    registered: Counter[str] = Counter()

    class Monitor(MockMonitor):
        # Without resource references the SDK sends URNs in their place; with them the mock monitor would
        # rehydrate referenced resources on another event loop, racing this one.
        def SupportsFeature(self, request: Any) -> Any:
            if request.id == "resourceReferences":
                return type("SupportsFeatureResponse", (object,), {"hasSupport": False})
            return super().SupportsFeature(request)  # type: ignore[no-untyped-call]

        def GetDeploymentInfo(self, request: Any) -> Any:
            info = super().GetDeploymentInfo(request)  # type: ignore[no-untyped-call]
            feature = resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
            return resource_pb2.DeploymentInfo(supportedFeatures=[f for f in info.supportedFeatures if f != feature])

        def RegisterResource(self, request: Any) -> Any:
            if request.type != "pulumi:pulumi:Stack":
                registered[request.type] += 1
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    values = load_stack_values(repository / INFRA_DIR, stack)
    if not values.get("repoUrl"):
        values["repoUrl"] = PLACEHOLDER_REPO_URL
    inputs = load_repository_inputs(repository)
    settings = parse_settings(values, inputs.known_addons)
    mocks = Mocks()
    pulumi.runtime.settings.reset_options(project=PROJECT, stack=stack)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=Monitor(mocks))
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        return pulumi.Output.from_input(dict(build_program(settings, inputs))).apply(outputs.update)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        run()
    return {
        "stack": stack,
        "resources": sum(registered.values()),
        "types": dict(sorted(registered.items())),
        "outputs": sorted(outputs),
    }


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m groundwork.readiness.stack_build REPOSITORY STACK...", file=sys.stderr)
        return 2
    for stack in argv[1:]:
        try:
            result = build(Path(argv[0]), stack)
        except Exception as error:  # reported to the parent as one line, never a traceback
            result = {"stack": stack, "error": f"{type(error).__name__}: {' '.join(str(error).split())}"}
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
