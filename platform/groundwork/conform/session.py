"""What one run shares between its checks: the service, the peers, the settings the suite gave it, and the
facts the traffic step leaves for the later checks."""

import json
from dataclasses import dataclass, field

from groundwork.conform.downstream import TestDownstream
from groundwork.conform.model import Recorder
from groundwork.conform.otlp import OtlpReceiver
from groundwork.conform.target import ServiceProcess

# The values the suite sets, small enough that every clause shows within seconds.
HTTP_TIMEOUT_SECONDS = 1.0
HTTP_RETRIES = 2
HTTP_MAX_CONNECTIONS = 2
BREAKER_FAIL_MAX = 4
BREAKER_RESET_SECONDS = 1.0
SHUTDOWN_GRACE_SECONDS = 5.0
ENVIRONMENT = "conform"


def service_env(otlp_url: str, downstreams: dict[str, str]) -> dict[str, str]:
    return {
        "APP_DOWNSTREAMS": json.dumps(downstreams),
        "APP_HTTP_TIMEOUT_SECONDS": str(HTTP_TIMEOUT_SECONDS),
        "APP_HTTP_RETRIES": str(HTTP_RETRIES),
        "APP_HTTP_BACKOFF_SECONDS": "0.01",
        "APP_HTTP_MAX_CONNECTIONS": str(HTTP_MAX_CONNECTIONS),
        "APP_BREAKER_FAIL_MAX": str(BREAKER_FAIL_MAX),
        "APP_BREAKER_RESET_SECONDS": str(BREAKER_RESET_SECONDS),
        "APP_SHUTDOWN_GRACE_SECONDS": str(SHUTDOWN_GRACE_SECONDS),
        "APP_READINESS_TIMEOUT_SECONDS": "0.5",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_url,
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "1",
        "OTEL_RESOURCE_ATTRIBUTES": f"deployment.environment={ENVIRONMENT}",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }


@dataclass(frozen=True)
class Traffic:
    """Requests the traffic step sent, for the checks that read logs, spans and downstream headers."""

    hello_route: str  # the route the suite counted requests on (/v1/hello, or /livez without it)
    hello_count: int
    unmatched_path: str
    sampled_trace: str  # inbound traceparent, flags 01
    sampled_parent: str
    unsampled_trace: str  # inbound traceparent, flags 00
    root_path: str  # path of the traced requests (/v1/chain with downstreams)


@dataclass
class Session:
    url: str
    recorder: Recorder
    process: ServiceProcess | None = None
    receiver: OtlpReceiver | None = None
    downstreams: dict[str, TestDownstream] = field(default_factory=dict)
    has_chain: bool = False
    has_post_chain: bool = False
    traffic: Traffic | None = None
    service_name: str = ""
