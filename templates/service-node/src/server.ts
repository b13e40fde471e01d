// Serve until SIGTERM/SIGINT, then shut down within APP_SHUTDOWN_GRACE_SECONDS: /readyz turns 503 at once,
// the listener closes, in-flight requests finish (at most the drain budget, then connections are cut), the
// outbound pools close and spans are flushed within the rest of the grace period.
import type { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

import { version } from "./about.js";
import type { Service } from "./app.js";
import { drainSeconds, flushSeconds, type Settings } from "./settings.js";
import { shutdownTracerProvider } from "./tracing.js";

export async function serve(service: Service, settings: Settings, provider?: NodeTracerProvider): Promise<void> {
  const { app, lifecycle, log } = service;
  await app.listen({ host: settings.host, port: settings.port });
  // Start-up work (warming caches, checking migrations) goes before markStarted().
  lifecycle.markStarted();
  log.info(
    { version: version(), port: settings.port, downstreams: settings.downstreams, tracing: provider !== undefined },
    "started",
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    lifecycle.beginDraining();
    log.info({ signal, drain_seconds: drainSeconds(settings) }, "shutting down");
    const cut = setTimeout(() => {
      app.server.closeAllConnections();
    }, drainSeconds(settings) * 1000);
    try {
      await app.close();
    } finally {
      clearTimeout(cut);
    }
    await service.closeClients();
    const flushed = provider === undefined || (await shutdownTracerProvider(provider, flushSeconds(settings)));
    log.info({ spans_flushed: flushed }, "stopped");
    process.exit(0); // the exit handler of stdout.ts writes the last log lines
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
