// buildService(settings): the whole service, wired from its settings. Importing this module does nothing.
import { trace, type Tracer } from "@opentelemetry/api";
import type { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import Fastify, { type FastifyInstance } from "fastify";
import { Agent } from "undici";

import { SERVICE_NAME } from "./about.js";
import { installApi } from "./api.js";
import { DownstreamClient, policyFromSettings } from "./downstream.js";
import { downstreamCheck, installHealth, type Check } from "./health.js";
import { Lifecycle } from "./lifecycle.js";
import { buildAccessLog, buildLogger, type Logger } from "./logs.js";
import { ClientMetrics, RedMetrics, buildRegistry } from "./metrics.js";
import type { Settings } from "./settings.js";
import { installTelemetry } from "./telemetry.js";

export interface Service {
  app: FastifyInstance;
  lifecycle: Lifecycle;
  log: Logger;
  downstreams: Record<string, DownstreamClient>;
  /** Close the outbound pools (after the server stopped). */
  closeClients(): Promise<void>;
}

export function buildService(settings: Settings, provider?: NodeTracerProvider): Service {
  const log = buildLogger(SERVICE_NAME, settings.logLevel);
  const tracer: Tracer | undefined = provider?.getTracer(SERVICE_NAME);
  const registry = settings.metricsEnabled ? buildRegistry() : undefined;
  const lifecycle = new Lifecycle();
  const clientMetrics = registry !== undefined ? new ClientMetrics(registry) : undefined;
  const policy = policyFromSettings(settings);
  const outboundTracer = tracer ?? trace.getTracer(SERVICE_NAME); // a no-op tracer when tracing is off
  const downstreams = Object.fromEntries(
    Object.entries(settings.downstreams).map(([name, url]) => [
      name,
      new DownstreamClient(name, url, policy, outboundTracer, clientMetrics, log),
    ]),
  );
  // Probes use their own small pool: a saturated bulkhead must not fail readiness.
  const probeAgent = new Agent({ connections: 2 });
  const checks: Record<string, Check> = Object.fromEntries(
    Object.entries(downstreams).map(([name, client]) => [name, downstreamCheck(probeAgent, client.baseUrl)]),
  );

  const app = Fastify({ logger: false, return503OnClosing: true });
  installTelemetry(app, {
    tracer,
    metrics: registry !== undefined ? new RedMetrics(registry) : undefined,
    accessLog: buildAccessLog(log, settings.accessLog),
  });
  installHealth(app, lifecycle, checks, settings.readinessTimeoutSeconds);
  installApi(app, SERVICE_NAME, downstreams);
  if (registry !== undefined) {
    app.get("/metrics", async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  }
  return {
    app,
    lifecycle,
    log,
    downstreams,
    async closeClients() {
      await Promise.all([...Object.values(downstreams).map((client) => client.close()), probeAgent.close()]);
    },
  };
}
