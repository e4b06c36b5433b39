import {
  INVALID_SPAN_CONTEXT,
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from "@opentelemetry/api";
import type { SpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

export { SpanKind };

let provider: TracerProvider | undefined;
const noSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export interface TracingOptions {
  service: string;
  /** OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`); spans are recorded but not exported without it. */
  otlpEndpoint?: string;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  processors?: SpanProcessor[];
}

/**
 * Registers the process's OpenTelemetry tracer provider (once): W3C trace context, async-local
 * context, and an OTLP exporter. Without an endpoint (or test processors) nothing is registered.
 * Spans are made by `inSpan`. The SDK is loaded only then: a service that exports nothing
 * does not pay for it in memory.
 */
export async function setUpTracing({
  service,
  otlpEndpoint,
  processors = [],
}: TracingOptions): Promise<TracerProvider | undefined> {
  if (provider) return provider;
  // Nowhere to send spans: record none, and let `inSpan` pass the caller's traceparent through,
  // so logs still correlate by trace id at no cost per request.
  if (!otlpEndpoint && processors.length === 0) return undefined;
  const [
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { resourceFromAttributes },
    sdk,
  ] = await Promise.all([
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/core"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-trace"),
  ]);
  const { BatchSpanProcessor, TracerProvider } = sdk;
  const spanProcessors = [...processors];
  if (otlpEndpoint) {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: otlpEndpoint }) }));
  }
  provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors,
  });
  // Replace whatever an earlier module instance registered (test runners reuse processes).
  context.disable();
  propagation.disable();
  trace.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return provider;
}

export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown().catch(() => undefined);
}

/**
 * Runs `fn` in a new span that continues the trace of `parent` (a W3C traceparent) — or of the
 * active span when none — and hands `fn` the span's own traceparent to pass downstream (RPC
 * metadata, an event envelope). Without a registered provider it passes `parent` through.
 *
 * @example
 *   await inSpan("process tessera.catalog.v1.ProductChanged", SpanKind.CONSUMER, envelope.traceparent, {}, (traceparent) =>
 *     handle(event, traceparent));
 */
export async function inSpan<T>(
  name: string,
  kind: SpanKind,
  parent: string | undefined,
  attributes: Attributes,
  fn: (traceparent: string | undefined, span: Span) => Promise<T>,
): Promise<T> {
  if (!provider) return fn(parent, noSpan);
  const parentContext = parent
    ? propagation.extract(ROOT_CONTEXT, { traceparent: parent })
    : context.active();
  const span = trace.getTracer("tessera").startSpan(name, { kind, attributes }, parentContext);
  const spanContext = trace.setSpan(parentContext, span);
  const carrier: Record<string, string> = {};
  propagation.inject(spanContext, carrier);
  try {
    return await context.with(spanContext, () => fn(carrier["traceparent"] ?? parent, span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
