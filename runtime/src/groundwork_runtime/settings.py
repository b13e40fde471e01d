"""Runtime configuration, read once at start-up and passed down (never read at import time).

`APP_*` variables configure the service (docs: the platform contract); the standard `OTEL_*` variables
configure tracing, and the OpenTelemetry SDK reads the exporter ones (`OTEL_EXPORTER_OTLP_*`, `OTEL_BSP_*`,
`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`) itself.
"""

import re
from typing import ClassVar, Literal, TypeVar

from pydantic import AnyHttpUrl, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
SamplerName = Literal[
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
]

ENV_PREFIX = "APP_"
# Part of the grace period kept for flushing telemetry after the in-flight requests are done.
_FLUSH_SHARE = 0.2
_FLUSH_MAX_SECONDS = 2.0
# What uvicorn's shutdown itself takes besides waiting (its ticks, closing sockets).
_SHUTDOWN_OVERHEAD_SECONDS = 0.25


def default_downstream_url(name: str) -> str:
    """Where a declared downstream lives in the cluster: its Service (port 80) in its own namespace."""
    return f"http://{name}.{name}.svc.cluster.local"


DEFAULT_PORT = 8080


class RuntimeSettings(BaseSettings):
    """Everything the runtime can be told from the environment. A service subclasses it: its declared
    downstreams, its default port, and any APP_* setting of its own."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    # The downstreams the service declares (its subclass says which).
    declared_downstreams: ClassVar[tuple[str, ...]] = ()

    host: str = "0.0.0.0"  # noqa: S104 - a container listens on all its interfaces
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    downstreams: dict[str, AnyHttpUrl] = Field(default_factory=dict, validate_default=True)
    log_level: LogLevel = "INFO"
    access_log: bool = True
    metrics_enabled: bool = True
    readiness_timeout_seconds: float = Field(0.5, gt=0, le=60)
    shutdown_grace_seconds: float = Field(20.0, ge=0, le=3600)
    http_timeout_seconds: float = Field(2.0, gt=0, le=300)
    http_retries: int = Field(2, ge=0, le=10)
    http_backoff_seconds: float = Field(0.05, ge=0, le=60)
    http_max_connections: int = Field(20, ge=1, le=10_000)
    breaker_fail_max: int = Field(5, ge=1, le=10_000)
    breaker_reset_seconds: float = Field(10.0, gt=0, le=3600)

    # Standard OpenTelemetry variables (no APP_ prefix).
    otel_sdk_disabled: bool = Field(False, validation_alias="OTEL_SDK_DISABLED")
    otel_traces_sampler: SamplerName = Field("parentbased_traceidratio", validation_alias="OTEL_TRACES_SAMPLER")
    otel_traces_sampler_arg: float = Field(0.1, ge=0, le=1, validation_alias="OTEL_TRACES_SAMPLER_ARG")

    @field_validator("log_level", "otel_traces_sampler", mode="before")
    @classmethod
    def _normalise_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    @field_validator("downstreams", mode="after")
    @classmethod
    def _declared_only(cls, value: dict[str, AnyHttpUrl]) -> dict[str, AnyHttpUrl]:
        """Start from every declared downstream's cluster address; APP_DOWNSTREAMS only moves them."""
        unknown = sorted(set(value) - set(cls.declared_downstreams))
        if unknown:
            declared = ", ".join(cls.declared_downstreams) or "none"
            raise ValueError(
                f"names {', '.join(unknown)}, which this service does not declare (declared: {declared});"
                " declare a downstream in the template answers (copier update) before pointing at it"
            )
        merged = {name: AnyHttpUrl(default_downstream_url(name)) for name in cls.declared_downstreams}
        merged.update(value)
        return merged

    @property
    def downstream_urls(self) -> dict[str, str]:
        """Declared downstream -> base URL, without a trailing slash."""
        return {name: str(url).rstrip("/") for name, url in self.downstreams.items()}

    @property
    def tracing_enabled(self) -> bool:
        return not self.otel_sdk_disabled

    @property
    def flush_seconds(self) -> float:
        """How long shutdown may spend flushing spans once requests are drained."""
        return min(_FLUSH_MAX_SECONDS, self.shutdown_grace_seconds * _FLUSH_SHARE)

    @property
    def drain_seconds(self) -> float:
        """How long shutdown waits for in-flight requests: the grace period less the flush budget."""
        return max(0.0, self.shutdown_grace_seconds - self.flush_seconds - _SHUTDOWN_OVERHEAD_SECONDS)


def describe_error(error: ValidationError, settings: type[RuntimeSettings] = RuntimeSettings) -> str:
    """One line per refused variable, naming it as it is set in the environment."""
    aliases = {
        name: field.validation_alias
        for name, field in settings.model_fields.items()
        if isinstance(field.validation_alias, str)
    }
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        field = location[0] if location else ""
        # A standard variable (OTEL_*) is reported under its own name, the others with the APP_ prefix.
        variable = aliases.get(field, field if field in aliases.values() else f"{ENV_PREFIX}{field.upper()}")
        where = f" (at {'.'.join(location[1:])})" if len(location) > 1 else ""
        lines.append(f"invalid configuration: {variable}{where}: {problem['msg']}")
    return "\n".join(lines)


class ConfigurationError(Exception):
    """The environment does not configure a valid service; the message names each refused variable."""


S = TypeVar("S", bound=RuntimeSettings)


def load_settings(settings: type[S]) -> S:
    """`settings` from the environment, or a ConfigurationError saying in one line per problem what to fix."""
    try:
        return settings()  # type: ignore[call-arg]  # BaseSettings fills the fields from the environment
    except ValidationError as error:
        raise ConfigurationError(describe_error(error, settings)) from None
    except SettingsError as error:  # a structured value (APP_DOWNSTREAMS) that is not JSON at all
        field = re.search(r'field "(\w+)"', str(error))
        variable = f"{ENV_PREFIX}{field.group(1).upper()}" if field else "the environment"
        raise ConfigurationError(
            f'invalid configuration: {variable}: not valid JSON; write an object such as {{"name": "http://host:8080"}}'
        ) from None
