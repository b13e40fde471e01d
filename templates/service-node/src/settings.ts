// Runtime configuration, read once at start-up from the environment and passed down (never read elsewhere).
// APP_* variables configure the service (the platform contract); the standard OTEL_* variables configure
// tracing, and the OpenTelemetry SDK reads the exporter ones (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*) itself.
import { DECLARED_DOWNSTREAMS, DEFAULT_PORT } from "./about.js";

export type LogLevel = "debug" | "info" | "warn" | "error" | "fatal";
const LOG_LEVELS: Record<string, LogLevel> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  ERROR: "error",
  CRITICAL: "fatal",
};
export const SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

// Part of the grace period kept for flushing spans once the in-flight requests are done.
const FLUSH_SHARE = 0.2;
const FLUSH_MAX_SECONDS = 2.0;

export interface Settings {
  readonly host: string;
  readonly port: number;
  readonly downstreams: Readonly<Record<string, string>>;
  readonly logLevel: LogLevel;
  readonly accessLog: boolean;
  readonly metricsEnabled: boolean;
  readonly readinessTimeoutSeconds: number;
  readonly shutdownGraceSeconds: number;
  readonly httpTimeoutSeconds: number;
  readonly httpRetries: number;
  readonly httpBackoffSeconds: number;
  readonly httpMaxConnections: number;
  readonly breakerFailMax: number;
  readonly breakerResetSeconds: number;
  readonly otelSdkDisabled: boolean;
  readonly sampler: SamplerName;
  readonly samplerArg: number;
  readonly propagators: readonly string[];
}

/** The environment does not configure a valid service; the message has one line per refused variable. */
export class ConfigurationError extends Error {}

export function defaultDownstreamUrl(name: string): string {
  return `http://${name}.${name}.svc.cluster.local`;
}

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  }

  private refuse(name: string, value: string, want: string): void {
    this.problems.push(`invalid configuration: ${name}: ${want} (got ${JSON.stringify(value)})`);
  }

  number(name: string, fallback: number, min: number, max: number, opts: { integer?: boolean; aboveMin?: boolean } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    const low = opts.aboveMin === true ? parsed > min : parsed >= min;
    if (!Number.isFinite(parsed) || (opts.integer === true && !Number.isInteger(parsed)) || !low || parsed > max) {
      const kind = opts.integer === true ? "an integer" : "a number";
      this.refuse(name, value, `must be ${kind} ${opts.aboveMin === true ? "above" : "from"} ${min} ${opts.aboveMin === true ? "and at most" : "to"} ${max}`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lowered = value.toLowerCase();
    if (["true", "1", "yes", "on"].includes(lowered)) return true;
    if (["false", "0", "no", "off"].includes(lowered)) return false;
    this.refuse(name, value, "must be true or false");
    return fallback;
  }

  choice<T extends string>(name: string, fallback: T, choices: Readonly<Record<string, T>>): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const found = choices[value.toUpperCase()] ?? choices[value.toLowerCase()];
    if (found === undefined) {
      this.refuse(name, value, `must be one of ${Object.keys(choices).join(", ")}`);
      return fallback;
    }
    return found;
  }

  downstreams(name: string, declared: readonly string[]): Record<string, string> {
    const merged: Record<string, string> = Object.fromEntries(declared.map((d) => [d, defaultDownstreamUrl(d)]));
    const value = this.raw(name);
    if (value === undefined) return merged;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      this.refuse(name, value, 'not valid JSON; write an object such as {"name": "http://host:8080"}');
      return merged;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      this.refuse(name, value, 'must be a JSON object such as {"name": "http://host:8080"}');
      return merged;
    }
    const unknown = Object.keys(parsed).filter((key) => !declared.includes(key)).sort();
    if (unknown.length > 0) {
      this.problems.push(
        `invalid configuration: ${name}: names ${unknown.join(", ")}, which this service does not declare ` +
          `(declared: ${declared.join(", ") || "none"}); declare a downstream in the template answers ` +
          "(copier update) before pointing at it",
      );
      return merged;
    }
    for (const [key, url] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof url !== "string" || !/^https?:\/\/[^/\s]+/.test(url)) {
        this.refuse(`${name} (at ${key})`, String(url), "must be an http(s) URL such as http://host:8080");
        continue;
      }
      merged[key] = url.replace(/\/+$/, "");
    }
    return merged;
  }
}

const SAMPLER_CHOICES = Object.fromEntries(SAMPLERS.map((s) => [s, s])) as Record<string, SamplerName>;

/** Settings from the environment, or a ConfigurationError naming each refused variable on its own line. */
export function loadSettings(env: Env = process.env, declared: readonly string[] = DECLARED_DOWNSTREAMS): Settings {
  const read = new Reader(env);
  const settings: Settings = {
    host: env.APP_HOST?.trim() || "0.0.0.0",
    port: read.number("APP_PORT", DEFAULT_PORT, 1, 65535, { integer: true }),
    downstreams: read.downstreams("APP_DOWNSTREAMS", declared),
    logLevel: read.choice<LogLevel>("APP_LOG_LEVEL", "info", LOG_LEVELS),
    accessLog: read.bool("APP_ACCESS_LOG", true),
    metricsEnabled: read.bool("APP_METRICS_ENABLED", true),
    readinessTimeoutSeconds: read.number("APP_READINESS_TIMEOUT_SECONDS", 0.5, 0, 60, { aboveMin: true }),
    shutdownGraceSeconds: read.number("APP_SHUTDOWN_GRACE_SECONDS", 20, 0, 3600),
    httpTimeoutSeconds: read.number("APP_HTTP_TIMEOUT_SECONDS", 2.0, 0, 300, { aboveMin: true }),
    httpRetries: read.number("APP_HTTP_RETRIES", 2, 0, 10, { integer: true }),
    httpBackoffSeconds: read.number("APP_HTTP_BACKOFF_SECONDS", 0.05, 0, 60),
    httpMaxConnections: read.number("APP_HTTP_MAX_CONNECTIONS", 20, 1, 10000, { integer: true }),
    breakerFailMax: read.number("APP_BREAKER_FAIL_MAX", 5, 1, 10000, { integer: true }),
    breakerResetSeconds: read.number("APP_BREAKER_RESET_SECONDS", 10, 0, 3600, { aboveMin: true }),
    otelSdkDisabled: read.bool("OTEL_SDK_DISABLED", false),
    sampler: read.choice<SamplerName>("OTEL_TRACES_SAMPLER", "parentbased_traceidratio", SAMPLER_CHOICES),
    samplerArg: read.number("OTEL_TRACES_SAMPLER_ARG", 0.1, 0, 1),
    propagators: (env.OTEL_PROPAGATORS ?? "tracecontext,baggage").split(",").map((p) => p.trim()).filter(Boolean),
  };
  const unknownPropagators = settings.propagators.filter((p) => !["tracecontext", "baggage", "none"].includes(p));
  if (unknownPropagators.length > 0) {
    read.problems.push(
      `invalid configuration: OTEL_PROPAGATORS: ${unknownPropagators.join(", ")} unsupported (use tracecontext, baggage or none)`,
    );
  }
  if (read.problems.length > 0) throw new ConfigurationError(read.problems.join("\n"));
  return settings;
}

/** How long shutdown may spend flushing spans once requests are drained. */
export function flushSeconds(settings: Settings): number {
  return Math.min(FLUSH_MAX_SECONDS, settings.shutdownGraceSeconds * FLUSH_SHARE);
}

/** How long shutdown waits for in-flight requests: the grace period less the flush budget. */
export function drainSeconds(settings: Settings): number {
  return Math.max(0, settings.shutdownGraceSeconds - flushSeconds(settings));
}
