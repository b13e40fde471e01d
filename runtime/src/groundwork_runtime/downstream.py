"""Resilient outbound calls: one client per declared downstream.

- a timeout on every attempt (httpx's connect/read/write/pool timeouts and an overall deadline);
- retries with jittered exponential backoff (tenacity), for idempotent methods only, on connection errors,
  timeouts and 502/503/504;
- a circuit breaker per downstream (pybreaker): after `breaker_fail_max` consecutive failures it opens and
  calls fail fast, without touching the network, until `breaker_reset_seconds` have passed; then one trial
  call closes it again or re-opens it;
- a connection-pool limit per downstream as a bulkhead: a slow downstream can hold at most
  `http_max_connections` connections, and callers beyond that wait at most the timeout.
Outbound calls are traced (OpenTelemetry httpx instrumentation), which also propagates W3C context.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pybreaker
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from structlog.typing import FilteringBoundLogger
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from .metrics import ClientMetrics
from .settings import RuntimeSettings

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})
# Upper bound of one backoff pause, as a multiple of the base pause.
_BACKOFF_CAP_FACTOR = 16


@dataclass(frozen=True)
class ClientPolicy:
    """How hard to try a downstream: from APP_HTTP_* and APP_BREAKER_* settings."""

    timeout_seconds: float = 2.0
    retries: int = 2
    backoff_seconds: float = 0.05
    max_connections: int = 20
    breaker_fail_max: int = 5
    breaker_reset_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: RuntimeSettings) -> "ClientPolicy":
        return cls(
            timeout_seconds=settings.http_timeout_seconds,
            retries=settings.http_retries,
            backoff_seconds=settings.http_backoff_seconds,
            max_connections=settings.http_max_connections,
            breaker_fail_max=settings.breaker_fail_max,
            breaker_reset_seconds=settings.breaker_reset_seconds,
        )


class DownstreamError(Exception):
    """A call to a downstream failed; `reason` says how, in a few words."""

    def __init__(self, downstream: str, reason: str) -> None:
        super().__init__(f"{downstream}: {reason}")
        self.downstream = downstream
        self.reason = reason


class DownstreamStatusError(Exception):
    """The downstream answered with a server error (5xx): a failure for the breaker."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"status {response.status_code}")
        self.response = response


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, DownstreamStatusError):
        return error.response.status_code in RETRYABLE_STATUSES
    return isinstance(error, httpx.TransportError | TimeoutError)


def _reason(error: BaseException) -> str:
    if isinstance(error, pybreaker.CircuitBreakerError):
        return "circuit open"
    if isinstance(error, DownstreamStatusError):
        return str(error)
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.TransportError):
        return f"unreachable ({type(error).__name__})"
    return type(error).__name__


class _BreakerWatch(pybreaker.CircuitBreakerListener):
    """Reports breaker state changes as a metric and a log line."""

    def __init__(self, downstream: str, metrics: ClientMetrics | None, log: FilteringBoundLogger | None):
        self._downstream = downstream
        self._metrics = metrics
        self._log = log

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if self._metrics is not None:
            self._metrics.set_circuit_open(self._downstream, new_state.name == pybreaker.STATE_OPEN)
        if self._log is not None:
            self._log.warning(
                "circuit breaker state changed",
                downstream=self._downstream,
                old_state=old_state.name if old_state is not None else None,
                new_state=new_state.name,
            )


class DownstreamClient:
    """Calls one downstream service under the ClientPolicy. Close it with `aclose()`."""

    def __init__(
        self,
        name: str,
        base_url: str,
        policy: ClientPolicy,
        *,
        tracer_provider: TracerProvider | None = None,
        metrics: ClientMetrics | None = None,
        log: FilteringBoundLogger | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self._policy = policy
        self._metrics = metrics
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(policy.timeout_seconds),
            limits=httpx.Limits(
                max_connections=policy.max_connections,
                max_keepalive_connections=policy.max_connections,
            ),
        )
        if tracer_provider is not None:
            HTTPXClientInstrumentor.instrument_client(self._client, tracer_provider=tracer_provider)
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=policy.breaker_fail_max,
            reset_timeout=policy.breaker_reset_seconds,
            # A cancelled call (the caller went away) says nothing about the downstream's health.
            exclude=[asyncio.CancelledError],
            listeners=[_BreakerWatch(name, metrics, log)],
            name=name,
            throw_new_error_on_trip=False,
        )
        if metrics is not None:
            metrics.register(name)

    @property
    def breaker_state(self) -> str:
        """'closed', 'open' or 'half-open'."""
        return str(self._breaker.current_state)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request under the policy. Returns any response below 500; raises DownstreamError
        naming the downstream and the reason otherwise."""
        method = method.upper()
        retries = self._policy.retries if method in IDEMPOTENT_METHODS else 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(1 + retries),
            wait=wait_random_exponential(
                multiplier=self._policy.backoff_seconds,
                max=self._policy.backoff_seconds * _BACKOFF_CAP_FACTOR,
            ),
            retry=retry_if_exception(_is_retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(method, path, kwargs)
        except Exception as error:
            raise DownstreamError(self.name, _reason(error)) from error
        raise DownstreamError(self.name, "no attempt made")  # pragma: no cover - tenacity always tries

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def _attempt(self, method: str, path: str, kwargs: Mapping[str, Any]) -> httpx.Response:
        outcome = ClientMetrics.ERROR
        try:
            # Raises CircuitBreakerError on entry while the breaker is open: no network attempt.
            with self._breaker.calling():
                async with asyncio.timeout(self._policy.timeout_seconds):
                    response = await self._client.request(method, path, **kwargs)
                if response.status_code >= 500:
                    raise DownstreamStatusError(response)
            outcome = ClientMetrics.OK
            return response
        except pybreaker.CircuitBreakerError:
            outcome = ClientMetrics.REJECTED
            raise
        finally:
            if self._metrics is not None:
                self._metrics.count(self.name, outcome)

    async def aclose(self) -> None:
        await self._client.aclose()
