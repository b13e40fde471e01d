import assert from "node:assert/strict";
import { test } from "node:test";

import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

import { LATENCY_BUCKETS } from "../src/about.js";
import { buildService } from "../src/app.js";
import { loadSettings } from "../src/settings.js";
import { buildTracerProvider, shutdownTracerProvider } from "../src/tracing.js";

function service(env: Record<string, string> = {}) {
  const settings = loadSettings({ APP_ACCESS_LOG: "false", OTEL_SDK_DISABLED: "true", ...env }, []);
  return buildService(settings);
}

test("probes answer as the contract says, startupz only once started", async () => {
  const { app, lifecycle } = service();
  assert.equal((await app.inject("/startupz")).statusCode, 503);
  lifecycle.markStarted();
  assert.deepEqual((await app.inject("/startupz")).json(), { status: "started" });
  assert.deepEqual((await app.inject("/livez")).json(), { status: "ok" });
  assert.deepEqual((await app.inject("/readyz")).json(), { status: "ready", checks: {} });
  lifecycle.beginDraining();
  const draining = await app.inject("/readyz");
  assert.equal(draining.statusCode, 503);
  assert.deepEqual(draining.json(), { status: "not ready", failed: ["shutdown"], checks: { shutdown: "draining" } });
  await app.close();
});

test("RED metrics use route templates, bounded methods and the platform's buckets", async () => {
  const { app } = service();
  await app.inject("/v1/hello?x=1");
  await app.inject("/no/such/path/42");
  await app.inject({ method: "PURGE" as "GET", url: "/v1/hello" });
  const text = (await app.inject("/metrics")).body;
  assert.match(text, /http_requests_total\{method="GET",route="\/v1\/hello",status="200"\} 1/);
  assert.match(text, /http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
  assert.match(text, /method="_OTHER"/);
  assert.doesNotMatch(text, /no\/such\/path|PURGE/);
  const bounds = [...text.matchAll(/http_request_duration_seconds_bucket\{le="([^"]+)",method="GET",route="\/v1\/hello"/g)]
    .map((m) => m[1])
    .filter((le) => le !== "+Inf")
    .map(Number);
  assert.deepEqual(bounds, [...LATENCY_BUCKETS]);
  assert.match(text, /# TYPE http_requests_in_flight gauge/);
  assert.match(text, /process_cpu_seconds_total/);
  await app.close();
});

test("a server span is named after the route and continues the inbound W3C trace", async () => {
  const exporter = new InMemorySpanExporter();
  const settings = loadSettings({ APP_ACCESS_LOG: "false", OTEL_TRACES_SAMPLER_ARG: "1" }, []);
  const provider = buildTracerProvider(settings, new SimpleSpanProcessor(exporter));
  const { app } = buildService(settings, provider);
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  await app.inject({ url: "/v1/hello", headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  await app.inject("/livez");
  const spans = exporter.getFinishedSpans();
  assert.deepEqual(spans.map((s) => s.name), ["GET /v1/hello"]);
  const [span] = spans;
  assert.ok(span !== undefined);
  assert.equal(span.spanContext().traceId, traceId);
  assert.equal(span.parentSpanContext?.spanId, "00f067aa0ba902b7");
  await app.close();
  assert.ok(provider !== undefined);
  assert.ok(await shutdownTracerProvider(provider, 2));
});
