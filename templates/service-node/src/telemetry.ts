// The three signals of every request from two Fastify hooks: a server span (W3C context extracted from the
// headers), RED metrics and the JSON access line. The span's context travels on the request
// (`request.traceContext`, made only when a handler asks for it), which the handlers pass to outbound calls.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  propagation,
  trace,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import type { FastifyInstance, FastifyRequest } from "fastify";

import type { AccessLog, RequestLine } from "./logs.js";
import { methodLabel, OTHER_METHOD, UNMATCHED_ROUTE, type RedMetrics } from "./metrics.js";

// Probes and scrapes are counted and logged, but not traced: they would drown the traces that matter.
const UNTRACED_PATHS = new Set(["/livez", "/readyz", "/startupz", "/metrics"]);

interface RequestTelemetry {
  method: string;
  path: string;
  parent: Context;
  span: Span | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    telemetry: RequestTelemetry | null;
    readonly traceContext: Context | null;
  }
}

export interface TelemetryOptions {
  tracer: Tracer | undefined;
  metrics: RedMetrics | undefined;
  accessLog: AccessLog | undefined;
}

function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

export function installTelemetry(app: FastifyInstance, options: TelemetryOptions): void {
  const { tracer, metrics, accessLog } = options;
  app.decorateRequest("telemetry", null);
  app.decorateRequest("traceContext", {
    getter(this: FastifyRequest): Context | null {
      const state = this.telemetry;
      return state?.span === undefined ? null : trace.setSpan(state.parent, state.span);
    },
  });

  app.addHook("onRequest", (request, _reply, done) => {
    const method = methodLabel(request.method);
    const path = pathOf(request.url);
    let parent = ROOT_CONTEXT;
    let span: Span | undefined;
    if (tracer !== undefined && !UNTRACED_PATHS.has(path)) {
      parent = propagation.extract(ROOT_CONTEXT, request.headers);
      span = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
    }
    request.telemetry = { method, path, parent, span };
    metrics?.started();
    done();
  });

  app.addHook("onResponse", (request, reply, done) => {
    const state = request.telemetry;
    if (state === null) {
      done();
      return;
    }
    // Fastify's clock for the request: from before the onRequest hooks to the response's last byte.
    const seconds = reply.elapsedTime / 1000;
    const route = routeOf(request);
    const status = reply.statusCode;
    metrics?.observe(state.method, route, status, seconds);
    const span = state.span;
    if (span !== undefined && span.isRecording()) {
      if (route !== UNMATCHED_ROUTE) span.updateName(`${state.method} ${route}`);
      span.setAttributes({
        "http.request.method": state.method,
        "url.path": state.path,
        "http.response.status_code": status,
        ...(route !== UNMATCHED_ROUTE ? { "http.route": route } : {}),
        ...(state.method === OTHER_METHOD ? { "http.request.method_original": request.method } : {}),
      });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span?.end();
    if (accessLog !== undefined) {
      const ids = span?.spanContext();
      const line: RequestLine = {
        event: "request",
        path: state.path,
        status,
        duration_ms: Math.round(seconds * 1_000_000) / 1000,
        trace_id: ids?.traceId,
        span_id: ids?.spanId,
      };
      accessLog(state.method, route, line);
    }
    done();
  });
}

/** The matched route's template, or `unmatched` (Fastify's not-found handler has no route URL). */
function routeOf(request: FastifyRequest): string {
  return request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
}
