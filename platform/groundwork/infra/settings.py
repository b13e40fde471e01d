"""The Pulumi stack configuration as one typed, validated object.

`parse_settings` is a pure function over a plain mapping of the project's config keys (without the
`groundwork:` namespace) to values: either native values (read from the stack YAML files) or the strings
`pulumi.Config.get` returns (arrays as JSON). It is called once, in `infra/__main__.py`, and by
`groundwork up` before Pulumi runs; anything wrong raises `InvalidStackConfig`, one line naming the key and
the fix. Defaults live in `infra/Pulumi.yaml` only (Pulumi applies them; `stack_config.load_stack_values`
merges them for the pre-flight), so this module never invents a value.
"""

import ipaddress
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from groundwork.errors import GroundworkError
from groundwork.paths import BOOTSTRAP_DIR, ENVIRONMENTS, GITOPS_DIR

NAMESPACE = "groundwork"

ENVS = ("kind", "eks", "sandbox")
# The folder the root Application syncs (gitops/bootstrap, owned by the GitOps layout).
BOOTSTRAP_PATH = f"{GITOPS_DIR}/{BOOTSTRAP_DIR}"

Env = Literal["kind", "eks", "sandbox"]

CONFIG_KEYS = frozenset(
    {
        "env",
        "environment",
        "clusterName",
        "repoUrl",
        "revision",
        "addons",
        "kindNodeImage",
        "kindWorkers",
        "kindHttpPort",
        "kindHttpsPort",
        "awsRegion",
        "eksVersion",
        "availabilityZones",
        "vpcCidr",
        "nodeInstanceTypes",
        "nodeMinSize",
        "nodeDesiredSize",
        "nodeMaxSize",
        "endpointPublicAccess",
        "endpointPrivateAccess",
        "publicAccessCidrs",
    }
)

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_ADDON = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$")
_REPO_URL = re.compile(r"^(https://[^\s/]+/\S+|ssh://[^\s/]+/\S+|git@[^\s:]+:\S+)$")
# The sandbox's Argo CD runs on this machine and reads the checkout itself.
_LOCAL_REPO_URL = re.compile(r"^file:///\S+$")
_REVISION = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9._/]*$")
_NODE_IMAGE = re.compile(r"^[a-z0-9.\-/]+/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_EKS_VERSION = re.compile(r"^1\.\d{2}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


class InvalidStackConfig(GroundworkError):
    """A stack configuration value is missing, of the wrong type or out of range."""


@dataclass(frozen=True)
class GitSource:
    """Where the root Argo CD Application syncs from: `path` of `repo_url` at `revision`."""

    repo_url: str
    revision: str
    path: str = BOOTSTRAP_PATH


@dataclass(frozen=True)
class KindSettings:
    """A local kind cluster: pinned node image, workers, host ports of the Istio ingress gateway."""

    node_image: str
    workers: int
    http_port: int
    https_port: int


@dataclass(frozen=True)
class EksSettings:
    """An EKS cluster in its own VPC."""

    region: str
    kubernetes_version: str
    availability_zones: int
    vpc_cidr: str
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int
    endpoint_public_access: bool
    endpoint_private_access: bool
    public_access_cidrs: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    """One stack's configuration. `kind` or `eks` is set when `env` names it; the sandbox needs neither
    (its cluster is started by `groundwork up --env sandbox` before Pulumi runs)."""

    env: Env
    environment: str
    cluster_name: str
    source: GitSource
    addons: tuple[str, ...]
    kind: KindSettings | None
    eks: EksSettings | None


def parse_settings(values: Mapping[str, object], known_addons: Collection[str] | None = None) -> Settings:
    """Validate the config `values` (bare keys) into Settings; `known_addons` (if given) limits `addons`."""
    unknown = sorted(set(values) - CONFIG_KEYS)
    if unknown:
        raise InvalidStackConfig(
            f"unknown config key {NAMESPACE}:{unknown[0]}",
            f"remove it or use one of the keys declared in infra/Pulumi.yaml ({', '.join(sorted(CONFIG_KEYS))})",
        )
    read = _Reader(values)
    env = read.choice("env", ENVS)
    settings = Settings(
        env="kind" if env == "kind" else "eks" if env == "eks" else "sandbox",
        environment=read.choice("environment", ENVIRONMENTS),
        cluster_name=_cluster_name(read),
        source=GitSource(
            repo_url=_repo_url(read, local_allowed=env == "sandbox"),
            revision=read.matching("revision", _REVISION, "a branch, tag or commit such as 'main'"),
        ),
        addons=_addons(read, known_addons),
        kind=_kind(read) if env == "kind" else None,
        eks=_eks(read) if env == "eks" else None,
    )
    return settings


def _cluster_name(read: "_Reader") -> str:
    name = read.string("clusterName")
    if len(name) > 32 or not _DNS_LABEL.match(name):
        raise InvalidStackConfig(
            f"config {NAMESPACE}:clusterName '{name}' is not a cluster name",
            "use a DNS-1123 label of at most 32 characters (lowercase a-z, 0-9, '-'), e.g. 'groundwork'",
        )
    return name


def _repo_url(read: "_Reader", local_allowed: bool = False) -> str:
    url = read.string("repoUrl")
    if not url:
        raise InvalidStackConfig(
            f"config {NAMESPACE}:repoUrl is missing",
            "set it to the Git URL Argo CD syncs from, e.g. "
            f"'pulumi config set {NAMESPACE}:repoUrl https://github.com/<org>/<repo>.git' "
            "(groundwork up --repo-url does it for you)",
        )
    if local_allowed and _LOCAL_REPO_URL.match(url):
        return url
    if not _REPO_URL.match(url):
        raise InvalidStackConfig(
            f"config {NAMESPACE}:repoUrl '{url}' is not a Git URL",
            "use https://<host>/<org>/<repo>.git or git@<host>:<org>/<repo>.git",
        )
    return url


def _addons(read: "_Reader", known: Collection[str] | None) -> tuple[str, ...]:
    addons = read.strings("addons")
    for addon in addons:
        if not _ADDON.match(addon):
            raise InvalidStackConfig(
                f"config {NAMESPACE}:addons entry '{addon}' is not an add-on name",
                "use the snake_case name of its enable_<name> cluster label, e.g. 'kube_prometheus_stack'",
            )
    if len(set(addons)) != len(addons):
        raise InvalidStackConfig(f"config {NAMESPACE}:addons lists an add-on twice", "list each add-on once")
    if known is not None:
        check_addons(addons, known)
    return addons


def check_addons(addons: tuple[str, ...], known: Collection[str]) -> None:
    """Refuse an add-on no ApplicationSet of gitops/bootstrap selects (its `enable_<name>` label)."""
    for addon in addons:
        if addon not in known:
            raise InvalidStackConfig(
                f"config {NAMESPACE}:addons entry '{addon}' is not an add-on of {BOOTSTRAP_PATH}",
                f"use one of {', '.join(sorted(known))}",
            )


def _kind(read: "_Reader") -> KindSettings:
    image = read.string("kindNodeImage")
    if not _NODE_IMAGE.match(image):
        raise InvalidStackConfig(
            f"config {NAMESPACE}:kindNodeImage '{image}' is not pinned",
            "give a kind node image by tag and digest, e.g. kindest/node:v1.36.1@sha256:<64 hex> "
            "(the kind release notes list them)",
        )
    http_port = read.integer("kindHttpPort", 1, 65535)
    https_port = read.integer("kindHttpsPort", 1, 65535)
    if http_port == https_port:
        raise InvalidStackConfig(
            f"config {NAMESPACE}:kindHttpPort and {NAMESPACE}:kindHttpsPort are both {http_port}",
            "give the gateway's HTTP and HTTPS host ports different values, e.g. 8080 and 8443",
        )
    return KindSettings(
        node_image=image, workers=read.integer("kindWorkers", 0, 5), http_port=http_port, https_port=https_port
    )


def _eks(read: "_Reader") -> EksSettings:
    region = read.matching("awsRegion", _AWS_REGION, "an AWS region such as 'eu-west-1'")
    version = read.matching("eksVersion", _EKS_VERSION, "an EKS Kubernetes version such as '1.35'")
    zones = read.integer("availabilityZones", 2, 6)
    cidr = _vpc_cidr(read)
    instance_types = read.strings("nodeInstanceTypes")
    if not instance_types:
        raise InvalidStackConfig(
            f"config {NAMESPACE}:nodeInstanceTypes is empty", "list at least one EC2 instance type, e.g. ['m6i.large']"
        )
    for instance_type in instance_types:
        if not _INSTANCE_TYPE.match(instance_type):
            raise InvalidStackConfig(
                f"config {NAMESPACE}:nodeInstanceTypes entry '{instance_type}' is not an EC2 instance type",
                "use names such as 'm6i.large'",
            )
    min_size = read.integer("nodeMinSize", 1, 100)
    desired = read.integer("nodeDesiredSize", 1, 100)
    max_size = read.integer("nodeMaxSize", 1, 100)
    if not min_size <= desired <= max_size:
        raise InvalidStackConfig(
            f"config node group sizes min {min_size}, desired {desired}, max {max_size} are out of order",
            f"set {NAMESPACE}:nodeMinSize <= {NAMESPACE}:nodeDesiredSize <= {NAMESPACE}:nodeMaxSize",
        )
    public = read.boolean("endpointPublicAccess")
    private = read.boolean("endpointPrivateAccess")
    if not public and not private:
        raise InvalidStackConfig(
            f"config {NAMESPACE}:endpointPublicAccess and {NAMESPACE}:endpointPrivateAccess are both false",
            "the API server needs at least one endpoint: enable private access (and public access from your CIDRs)",
        )
    cidrs = read.strings("publicAccessCidrs")
    for entry in cidrs:
        try:
            ipaddress.ip_network(entry, strict=True)
        except ValueError:
            raise InvalidStackConfig(
                f"config {NAMESPACE}:publicAccessCidrs entry '{entry}' is not a CIDR block",
                "use network/prefix, e.g. '203.0.113.0/24'",
            ) from None
    if public and not cidrs:
        raise InvalidStackConfig(
            f"config {NAMESPACE}:publicAccessCidrs is empty while {NAMESPACE}:endpointPublicAccess is true",
            "list the CIDR blocks allowed to reach the public endpoint, or turn public access off",
        )
    return EksSettings(
        region=region,
        kubernetes_version=version,
        availability_zones=zones,
        vpc_cidr=cidr,
        instance_types=instance_types,
        min_size=min_size,
        desired_size=desired,
        max_size=max_size,
        endpoint_public_access=public,
        endpoint_private_access=private,
        public_access_cidrs=cidrs,
    )


def _vpc_cidr(read: "_Reader") -> str:
    text = read.string("vpcCidr")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        network = None
    if network is None or network.version != 4 or not 16 <= network.prefixlen <= 20:
        raise InvalidStackConfig(
            f"config {NAMESPACE}:vpcCidr '{text}' is not a usable VPC range",
            "give an IPv4 network with a /16 to /20 prefix, e.g. '10.0.0.0/16'",
        )
    return str(network)


class _Reader:
    """Typed access to config values; each method names the key in its error."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = values

    def _get(self, key: str) -> object:
        if key not in self._values or self._values[key] is None:
            raise InvalidStackConfig(
                f"config {NAMESPACE}:{key} is missing",
                "set it in infra/Pulumi.<stack>.yaml (infra/Pulumi.yaml declares it with its default)",
            )
        return self._values[key]

    def string(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise InvalidStackConfig(f"config {NAMESPACE}:{key} is not a string", "quote the value in the stack file")
        return value.strip()

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.string(key)
        if value not in choices:
            raise InvalidStackConfig(
                f"config {NAMESPACE}:{key} '{value}' is unknown", f"use one of {', '.join(repr(c) for c in choices)}"
            )
        return value

    def matching(self, key: str, pattern: re.Pattern[str], example: str) -> str:
        value = self.string(key)
        if not pattern.match(value):
            raise InvalidStackConfig(f"config {NAMESPACE}:{key} '{value}' is not valid", f"give {example}")
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value = self._get(key)
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip())
        ):
            number = int(value)
        if number is None:
            raise InvalidStackConfig(f"config {NAMESPACE}:{key} '{value}' is not a whole number", f"give {low}-{high}")
        if not low <= number <= high:
            raise InvalidStackConfig(f"config {NAMESPACE}:{key} is {number}, out of range", f"give {low} to {high}")
        return number

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise InvalidStackConfig(f"config {NAMESPACE}:{key} '{value}' is not a boolean", "give true or false")

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                value = None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InvalidStackConfig(
                f"config {NAMESPACE}:{key} is not a list of strings", "write it as a YAML list, e.g. ['a', 'b']"
            )
        return tuple(item.strip() for item in value)
