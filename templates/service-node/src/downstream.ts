// Resilient outbound calls: one client per declared downstream (cockatiel policies over an undici Pool).
// - a timeout on every attempt (including the wait for a pooled connection);
// - retries with jittered exponential backoff for idempotent methods only, on connection errors, timeouts
//   and 502/503/504;
// - a circuit breaker per downstream: after APP_BREAKER_FAIL_MAX consecutive failures it opens and calls fail
//   fast without touching the network, until APP_BREAKER_RESET_SECONDS have passed; then one trial call
//   closes it again or re-opens it;
// - a connection-pool limit per downstream as a bulkhead (APP_HTTP_MAX_CONNECTIONS).
// Each attempt is a client span, and W3C trace context is injected into its headers, sampled or not.
import { SpanKind, SpanStatusCode, propagation, trace, type Context, type Tracer } from "@opentelemetry/api";
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  handleWhen,
  retry,
  timeout,
  type CircuitBreakerPolicy,
  type RetryPolicy,
  type TimeoutPolicy,
} from "cockatiel";
import { Pool } from "undici";

import type { Logger } from "./logs.js";
import type { ClientMetrics } from "./metrics.js";
import type { Settings } from "./settings.js";

export const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const RETRYABLE_STATUSES = new Set([502, 503, 504]);
// Upper bound of one backoff pause, as a multiple of the base pause.
const BACKOFF_CAP_FACTOR = 16;

export interface ClientPolicy {
  timeoutSeconds: number;
  retries: number;
  backoffSeconds: number;
  maxConnections: number;
  breakerFailMax: number;
  breakerResetSeconds: number;
}

export function policyFromSettings(settings: Settings): ClientPolicy {
  return {
    timeoutSeconds: settings.httpTimeoutSeconds,
    retries: settings.httpRetries,
    backoffSeconds: settings.httpBackoffSeconds,
    maxConnections: settings.httpMaxConnections,
    breakerFailMax: settings.breakerFailMax,
    breakerResetSeconds: settings.breakerResetSeconds,
  };
}

/** A call to a downstream failed; `reason` says how, in a few words. */
export class DownstreamError extends Error {
  constructor(
    readonly downstream: string,
    readonly reason: string,
  ) {
    super(`${downstream}: ${reason}`);
  }
}

/** The downstream answered with a server error (5xx): a failure for the breaker. */
class DownstreamStatusError extends Error {
  constructor(readonly status: number) {
    super(`status ${status}`);
  }
}

export interface DownstreamResponse {
  status: number;
  body: string;
}

function isRetryable(error: Error): boolean {
  if (error instanceof BrokenCircuitError) return false;
  if (error instanceof DownstreamStatusError) return RETRYABLE_STATUSES.has(error.status);
  return true; // timeouts and transport errors
}

function reasonOf(error: unknown): string {
  if (error instanceof BrokenCircuitError) return "circuit open";
  if (error instanceof DownstreamStatusError) return error.message;
  if (error instanceof TaskCancelledError) return "timeout";
  if (error instanceof Error) return `unreachable (${(error as NodeJS.ErrnoException).code ?? error.name})`;
  return "unknown error";
}

export class DownstreamClient {
  private readonly pool: Pool;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly perAttempt: TimeoutPolicy;
  private readonly retrying: RetryPolicy;
  private readonly retries: number;

  constructor(
    readonly name: string,
    readonly baseUrl: string,
    policy: ClientPolicy,
    private readonly tracer: Tracer,
    private readonly metrics: ClientMetrics | undefined,
    log: Logger,
  ) {
    this.pool = new Pool(new URL(baseUrl).origin, { connections: policy.maxConnections, pipelining: 1 });
    this.perAttempt = timeout(policy.timeoutSeconds * 1000, TimeoutStrategy.Aggressive);
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: policy.breakerResetSeconds * 1000,
      breaker: new ConsecutiveBreaker(policy.breakerFailMax),
    });
    this.breaker.onStateChange((state) => {
      metrics?.setCircuitOpen(name, state === CircuitState.Open);
      log.warn({ downstream: name, new_state: CircuitState[state].toLowerCase() }, "circuit breaker state changed");
    });
    const base = policy.backoffSeconds * 1000;
    this.retries = policy.retries;
    this.retrying = retry(handleWhen(isRetryable), {
      maxAttempts: policy.retries,
      backoff: new ExponentialBackoff({ initialDelay: base, maxDelay: base * BACKOFF_CAP_FACTOR }),
    });
    metrics?.register(name);
  }

  /** One request under the policy. Returns any answer below 500; throws DownstreamError naming the
   * downstream and the reason otherwise. */
  async request(method: string, path: string, context: Context): Promise<DownstreamResponse> {
    const upper = method.toUpperCase();
    const attempt = (): Promise<DownstreamResponse> => this.attempt(upper, path, context);
    try {
      return IDEMPOTENT_METHODS.has(upper) && this.retries > 0
        ? await this.retrying.execute(attempt)
        : await attempt();
    } catch (error) {
      throw new DownstreamError(this.name, reasonOf(error));
    }
  }

  private async attempt(method: string, path: string, context: Context): Promise<DownstreamResponse> {
    try {
      const response = await this.breaker.execute(() =>
        this.perAttempt.execute(({ signal }) => this.send(method, path, context, signal)),
      );
      this.metrics?.count(this.name, "ok");
      return response;
    } catch (error) {
      this.metrics?.count(this.name, error instanceof BrokenCircuitError ? "rejected" : "error");
      throw error;
    }
  }

  private async send(method: string, path: string, context: Context, signal: AbortSignal): Promise<DownstreamResponse> {
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.CLIENT, attributes: { "http.request.method": method, "server.address": this.name } },
      context,
    );
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context, span), headers);
    try {
      const answer = await this.pool.request({ method, path, headers, signal });
      const body = await answer.body.text();
      span.setAttribute("http.response.status_code", answer.statusCode);
      if (answer.statusCode >= 500) throw new DownstreamStatusError(answer.statusCode);
      return { status: answer.statusCode, body };
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: reasonOf(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
