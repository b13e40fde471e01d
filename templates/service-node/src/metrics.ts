// RED metrics with the platform's names and buckets (prom-client), plus per-downstream call metrics.
// Probes and /metrics are counted too; `route` is the route template, `unmatched` when no route matched.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

import { LATENCY_BUCKETS } from "./about.js";
import { BucketHistogram, type HistogramSeries } from "./histogram.js";

export const UNMATCHED_ROUTE = "unmatched";
export const OTHER_METHOD = "_OTHER";
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
const REQUEST_LABELS = ["method", "route", "status"] as const;

/** The method as a bounded label value: the standard methods, or _OTHER. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
}

type RequestLabel = (typeof REQUEST_LABELS)[number];

interface Series {
  labels: Record<RequestLabel, string>;
  /** Requests served since the last scrape; the scrape adds them to http_requests_total. */
  served: number;
  duration: HistogramSeries;
}

/** The RED metrics. Per request: one histogram observation into a series looked up by route, status and
 * method (no label object built, no key string; histogram.ts); the request counter and the in-flight gauge are
 * plain numbers that prom-client reads through their `collect` hooks at each scrape. */
export class RedMetrics {
  private readonly requests: Counter<RequestLabel>;
  private readonly duration: BucketHistogram<RequestLabel>;
  // route -> status -> method -> series (all bounded: route templates, status codes, methods).
  private readonly series = new Map<string, Map<number, Map<string, Series>>>();
  private readonly all: Series[] = [];
  private active = 0;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: "http_requests_total",
      help: "HTTP requests served, by method, route template and status code.",
      labelNames: REQUEST_LABELS,
      registers: [registry],
      collect: () => {
        for (const series of this.all) {
          this.requests.inc(series.labels, series.served);
          series.served = 0;
        }
      },
    });
    this.duration = new BucketHistogram(
      "http_request_duration_seconds",
      "Time to serve an HTTP request, by method, route template and status code.",
      LATENCY_BUCKETS,
      registry,
    );
    const inFlight: Gauge = new Gauge({
      name: "http_requests_in_flight",
      help: "HTTP requests being served right now.",
      registers: [registry],
      collect: () => {
        inFlight.set(this.active);
      },
    });
  }

  started(): void {
    this.active += 1;
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.active -= 1;
    let byStatus = this.series.get(route);
    if (byStatus === undefined) {
      byStatus = new Map<number, Map<string, Series>>();
      this.series.set(route, byStatus);
    }
    let byMethod = byStatus.get(status);
    if (byMethod === undefined) {
      byMethod = new Map<string, Series>();
      byStatus.set(status, byMethod);
    }
    let series = byMethod.get(method);
    if (series === undefined) {
      const labels = { method, route, status: String(status) };
      series = { labels, served: 0, duration: this.duration.addSeries(labels) };
      byMethod.set(method, series);
      this.all.push(series);
    }
    series.served += 1;
    this.duration.observe(series.duration, seconds);
  }
}

export type Outcome = "ok" | "error" | "rejected";

/** downstream_requests_total{downstream, outcome} counts each outbound attempt (rejected: the breaker was
 * open, no network attempt); downstream_circuit_open{downstream} is 1 while a breaker is open. */
export class ClientMetrics {
  private readonly requests: Counter<"downstream" | "outcome">;
  private readonly circuitOpen: Gauge<"downstream">;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: "downstream_requests_total",
      help: "Outbound call attempts by downstream and outcome (ok, error, rejected by an open breaker).",
      labelNames: ["downstream", "outcome"],
      registers: [registry],
    });
    this.circuitOpen = new Gauge({
      name: "downstream_circuit_open",
      help: "1 while the circuit breaker towards a downstream is open, else 0.",
      labelNames: ["downstream"],
      registers: [registry],
    });
  }

  /** Create a downstream's series at zero, so dashboards and alerts see them before any traffic. */
  register(downstream: string): void {
    for (const outcome of ["ok", "error", "rejected"] as const) this.requests.inc({ downstream, outcome }, 0);
    this.circuitOpen.set({ downstream }, 0);
  }

  count(downstream: string, outcome: Outcome): void {
    this.requests.inc({ downstream, outcome });
  }

  setCircuitOpen(downstream: string, open: boolean): void {
    this.circuitOpen.set({ downstream }, open ? 1 : 0);
  }
}

/** A registry with the process_* (and nodejs_*) collectors. */
export function buildRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
