// Tracing: the OpenTelemetry JS SDK exporting over OTLP/HTTP, configured only through the standard OTEL_*
// variables (the exporter reads OTEL_EXPORTER_OTLP_* and the batch processor OTEL_BSP_* itself).
import { propagation, type TextMapPropagator } from "@opentelemetry/api";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { detectResources, envDetector, resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

import { DOMAIN, SERVICE_NAME, version } from "./about.js";
import type { Settings } from "./settings.js";

const DEFAULT_ENVIRONMENT = "local";

/** service.name/version/namespace and deployment.environment; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
 * take precedence. */
export function buildResource(): Resource {
  const defaults = resourceFromAttributes({
    "service.name": SERVICE_NAME,
    "service.version": version(),
    "service.namespace": DOMAIN,
    "deployment.environment": DEFAULT_ENVIRONMENT,
  });
  return defaults.merge(detectResources({ detectors: [envDetector] }));
}

export function buildSampler(settings: Settings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.samplerArg);
  switch (settings.sampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio;
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio });
  }
}

export function buildPropagator(settings: Settings): TextMapPropagator {
  const propagators: TextMapPropagator[] = [];
  if (settings.propagators.includes("tracecontext")) propagators.push(new W3CTraceContextPropagator());
  if (settings.propagators.includes("baggage")) propagators.push(new W3CBaggagePropagator());
  return new CompositePropagator({ propagators });
}

/** The provider, registered globally with the propagator, or undefined when OTEL_SDK_DISABLED. `processor`
 * replaces the OTLP batch exporter (tests pass an in-memory one).
 * No context manager is registered: each request's context travels explicitly (`request.traceContext`, passed
 * to outbound calls), and the default AsyncLocalStorage manager, once the batch processor first uses it, keeps
 * an async hook running on every promise and callback of the process (about a tenth of the template's
 * telemetry cost, bench/service-node; docs/adr/0020). Code that needs `context.active()` registers one here. */
export function buildTracerProvider(settings: Settings, processor?: SpanProcessor): NodeTracerProvider | undefined {
  if (settings.otelSdkDisabled) return undefined;
  const provider = new NodeTracerProvider({
    resource: buildResource(),
    sampler: buildSampler(settings),
    spanProcessors: [processor ?? new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register({ propagator: buildPropagator(settings), contextManager: null });
  return provider;
}

/** Flush and stop the provider within `seconds`; false when it did not finish in time. */
export async function shutdownTracerProvider(provider: NodeTracerProvider, seconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, seconds * 1000);
  });
  try {
    return await Promise.race([provider.shutdown().then(() => true), deadline]);
  } finally {
    clearTimeout(timer);
    propagation.disable();
  }
}
