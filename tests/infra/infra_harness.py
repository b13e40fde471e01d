"""Run groundwork's Pulumi program under `pulumi.runtime.set_mocks` and keep what it registered.

The pattern is pulumi/examples `testing-unit-py`: a `Mocks` subclass answers the engine (resource outputs,
provider function calls), the program runs in-process, and tests assert on the registered resources. The
mock monitor is subclassed only to remember each resource's parent (for "children are parented to their
component"). Cloud outputs the real providers would compute (subnet ids, KMS key ARN, OIDC issuer) are
fixed fake values here, so tests can follow them from one resource into another.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2

PROJECT = "groundwork"

PRIVATE_SUBNETS = ["subnet-private-a", "subnet-private-b", "subnet-private-c"]
PUBLIC_SUBNETS = ["subnet-public-a", "subnet-public-b", "subnet-public-c"]
VPC_ID = "vpc-0123456789abcdef0"
KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
OIDC_PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
OIDC_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
ACCOUNT_ID = "123456789012"
EKS_KUBECONFIG = '{"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "eks"}]}'
KIND_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters:\n- name: kind-groundwork\n"
EBS_CSI_VERSION = "v1.99.0-eksbuild.1"

# Secret values reach the mocks wrapped in this signature (pulumi's rpc.SECRET_SIG... as a dict key).
_SECRET_SIG = "4dabf18193072939515e22adb298388d"


def _fake_outputs(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """What the real provider would add to the inputs, for the types whose outputs the program uses."""
    if args.typ == "awsx:ec2:Vpc":
        # natGateways is an input (the NAT strategy) and an output (the gateways) of different types.
        return {
            "vpcId": VPC_ID,
            "privateSubnetIds": PRIVATE_SUBNETS,
            "publicSubnetIds": PUBLIC_SUBNETS,
            "natGateways": [],
        }
    if args.typ == "aws:kms/key:Key":
        return {"arn": KMS_KEY_ARN, "keyId": "11111111-2222-3333-4444-555555555555"}
    if args.typ == "eks:index:Cluster":
        return {"kubeconfigJson": EKS_KUBECONFIG, "oidcProviderArn": OIDC_PROVIDER_ARN, "oidcIssuer": OIDC_ISSUER}
    if args.typ == "aws:iam/role:Role":
        return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{args.name}", "name": args.name}
    if args.typ == "command:local:Command":
        return {"stdout": KIND_KUBECONFIG, "stderr": ""}
    return {}


@dataclass(frozen=True)
class Registered:
    """One resource the program registered: type, logical name, inputs, and its parent's URN."""

    typ: str
    name: str
    inputs: Mapping[str, Any]
    urn: str
    parent: str
    custom: bool
    provider: str

    @property
    def parent_type(self) -> str:
        """The type of the parent resource (the last segment of its URN's type chain)."""
        return self.parent.split("::")[-2].split("$")[-1]

    def value(self, key: str) -> Any:
        """The input `key`, unwrapped if it is a secret."""
        return unwrap(self.inputs.get(key))

    def is_secret(self, key: str) -> bool:
        value = self.inputs.get(key)
        return isinstance(value, dict) and _SECRET_SIG in value


def unwrap(value: Any) -> Any:
    """A mock input without pulumi's secret wrapper, recursively."""
    if isinstance(value, dict):
        if _SECRET_SIG in value:
            return unwrap(value.get("value"))
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers the engine with the inputs plus `_fake_outputs`; records provider function calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.inputs: dict[tuple[str, str], dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.inputs[(args.typ, args.name)] = dict(args.inputs)
        return f"{args.name}-id", {**args.inputs, **_fake_outputs(args)}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.calls.append((args.token, dict(args.args)))
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test", "userId": "AIDTEST"}
        if args.token == "aws:eks/getAddonVersion:getAddonVersion":
            return {**args.args, "version": EBS_CSI_VERSION, "id": args.args.get("addonName", "")}
        return {}


class RecordingMonitor(MockMonitor):
    """The mock monitor, remembering each registration's parent and type (the engine's view of the tree)."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks
        self.registered: list[Registered] = []

    # Resource references are switched off: the mock monitor would otherwise rehydrate a referenced resource
    # (e.g. the eks Cluster passed to the ManagedNodeGroup) on its own thread and event loop, racing the
    # test's loop. Without them the SDK sends the URN or id in its place, which is all the tests need.
    def SupportsFeature(self, request: Any) -> Any:
        if request.id == "resourceReferences":
            return type("SupportsFeatureResponse", (object,), {"hasSupport": False})
        return super().SupportsFeature(request)

    def GetDeploymentInfo(self, request: Any) -> Any:
        info = super().GetDeploymentInfo(request)
        features = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = self.recording.inputs.get((request.type, request.name), {})
            self.registered.append(
                Registered(
                    typ=request.type,
                    name=request.name,
                    inputs=inputs,
                    urn=response.urn,
                    parent=request.parent,
                    custom=request.custom,
                    provider=request.provider,
                )
            )
        return response


@dataclass
class ProgramRun:
    """What one mocked run of the program registered and returned."""

    resources: list[Registered]
    outputs: dict[str, Any]
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def of_type(self, typ: str) -> list[Registered]:
        return [resource for resource in self.resources if resource.typ == typ]

    def one(self, typ: str, name_suffix: str = "") -> Registered:
        found = [r for r in self.of_type(typ) if r.name.endswith(name_suffix)]
        assert len(found) == 1, f"expected one {typ} named *{name_suffix}, found {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registered:
        return next(resource for resource in self.resources if resource.urn == urn)

    def ancestors(self, resource: Registered) -> list[str]:
        """Types of the resource's parents, nearest first."""
        types: list[str] = []
        parent = resource.parent
        while parent:
            match = [r for r in self.resources if r.urn == parent]
            if not match:
                break
            types.append(match[0].typ)
            parent = match[0].parent
        return types


def ensure_event_loop() -> None:
    """Pulumi's mocks run on the thread's current event loop. A test before this one on the same process (an
    `asyncio.run`, which ends with `set_event_loop(None)`; on a pytest-xdist worker that can be any file's test)
    may have left none, or a closed one: set a fresh one then."""
    try:
        if not asyncio.get_event_loop_policy().get_event_loop().is_closed():
            return
    except RuntimeError:
        pass
    asyncio.set_event_loop(asyncio.new_event_loop())


def install_mocks(stack: str) -> tuple[RecordingMocks, RecordingMonitor]:
    """Fresh mocks and monitor for one run (a new root stack resource each time)."""
    ensure_event_loop()
    pulumi.runtime.settings.reset_options(project=PROJECT, stack=stack)
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    return mocks, monitor


def run_program(stack: str, program: Callable[[], Mapping[str, Any]]) -> ProgramRun:
    """Run `program` (which creates resources and returns the stack outputs) under fresh mocks."""
    mocks, monitor = install_mocks(stack)
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test
    def _run() -> pulumi.Output[Any]:
        outputs = program()
        return pulumi.Output.from_input(dict(outputs)).apply(resolved.update)

    # Output types load lazily while outputs resolve; their modules warn about classes groundwork does not use.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulumi_(aws|awsx|eks)(\..*)?")
        _run()
    return ProgramRun(resources=list(monitor.registered), outputs=resolved, calls=list(mocks.calls))
