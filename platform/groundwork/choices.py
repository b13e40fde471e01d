"""The fixed choices of the CLI's options, as enums: one validation path (Click's Choice, exit 2, the choices
named in the one-line error) and one place that lists them, so `--help` shows them instead of `<str>`."""

from enum import StrEnum


class Env(StrEnum):
    """Where `groundwork up`/`down`/`doctor` provision: kind on this machine, EKS in AWS, or the Docker-free
    sandbox (a real control plane with kwok's nodes and Argo CD as host processes)."""

    KIND = "kind"
    EKS = "eks"
    SANDBOX = "sandbox"


class Stage(StrEnum):
    """The GitOps environments a service is promoted through, in order."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class ReadinessFormat(StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"


class DoraFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
