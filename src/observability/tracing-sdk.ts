import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Config } from "../config.js";
import type { TracingDeps } from "./tracing.js";

/** The version reported as `service.version`; kept in step with package.json by hand, like the OpenAPI info. */
const SERVICE_VERSION = "0.1.0";

export interface StartedTracing {
  deps: TracingDeps;
  /** Exports the spans still buffered, then stops; part of the graceful shutdown. */
  shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry SDK with the OTLP/HTTP (JSON) exporter and a batching processor. Imported
 * dynamically by bootstrap only when tracing is configured, so a service without
 * OTEL_EXPORTER_OTLP_ENDPOINT loads none of this. The tracer is handed to the app as a dependency,
 * not registered as the global provider.
 *
 * Export happens in the background, in batches: a collector that is down costs dropped spans,
 * never a slower or failed request.
 */
export function startTracing(tracing: NonNullable<Config["tracing"]>): StartedTracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": tracing.serviceName, "service.version": SERVICE_VERSION }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.tracesUrl, headers: tracing.headers }))],
  });
  return {
    deps: { tracer: provider.getTracer("auth-service", SERVICE_VERSION), propagator: new W3CTraceContextPropagator() },
    shutdown: () => provider.shutdown(),
  };
}
