// The stock way to trace a Node.js service: the OpenTelemetry Node SDK with the auto-instrumentations
// (http, fastify, undici, pino, ...), preloaded with `node --import ./stock.mjs dist/src/main.js`, sampling
// ParentBased(TraceIdRatioBased(0.1)) and exporting OTLP/HTTP to the bench's sink. The app's own telemetry is
// off (APP_METRICS_ENABLED=false, APP_ACCESS_LOG=false, and OTEL_SDK_DISABLED=true for the app only: the SDK
// here starts before it is set back).
import { register } from "node:module";

register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
delete process.env.OTEL_SDK_DISABLED; // for the SDK below; set back for the app once it has started

const { NodeSDK } = await import("@opentelemetry/sdk-node");
const { getNodeAutoInstrumentations } = await import("@opentelemetry/auto-instrumentations-node");
const { ParentBasedSampler, TraceIdRatioBasedSampler } = await import("@opentelemetry/sdk-trace-base");

const sdk = new NodeSDK({
  instrumentations: [getNodeAutoInstrumentations({ "@opentelemetry/instrumentation-fs": { enabled: false } })],
  sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }),
});
sdk.start();
process.env.OTEL_SDK_DISABLED = "true";
process.once("SIGTERM", () => {
  void sdk.shutdown();
});
