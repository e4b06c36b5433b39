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
import { SpanBuffer } from "./span-buffer.ts";

export { SpanKind, SpanStatusCode };
export type { Span };

let provider: TracerProvider | undefined;
let buffer: SpanBuffer | undefined;
const noSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export interface TracingOptions {
  service: string;
  /** OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`), sent protobuf; spans stay in the buffer only without it. */
  otlpEndpoint?: string;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  processors?: SpanProcessor[];
  /** Finished spans kept in memory for `GET /spans` on the ops port, oldest dropped first; 0 keeps none. */
  bufferSpans?: number;
}

/**
 * Registers the process's OpenTelemetry tracer provider (once): W3C trace context, async-local
 * context, a bounded in-memory buffer of recent spans (served on the ops port) and an OTLP/HTTP
 * protobuf exporter when an endpoint is set. With neither a buffer, an endpoint nor test processors
 * nothing is registered and `inSpan` passes the caller's traceparent through at no cost.
 */
export async function setUpTracing({
  service,
  otlpEndpoint,
  processors = [],
  bufferSpans = 0,
}: TracingOptions): Promise<TracerProvider | undefined> {
  if (provider) return provider;
  if (!otlpEndpoint && processors.length === 0 && bufferSpans === 0) return undefined;
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
  if (bufferSpans > 0) spanProcessors.push((buffer = new SpanBuffer(service, bufferSpans)));
  if (otlpEndpoint) {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
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

/** The process's buffer of recent spans, when tracing keeps one. */
export function recentSpans(): SpanBuffer | undefined {
  return buffer;
}

/**
 * Sets attributes on the active span (the RPC or event handler being run), if one is recorded:
 * how a service marks a span findable, e.g. by `ORDER_ID_ATTRIBUTE`.
 */
export function annotateSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/**
 * Starts a span the caller ends itself (an HTTP request spread over framework hooks), continuing
 * `parent` when given; its `traceparent` is what downstream calls carry. Undefined without a
 * registered provider.
 */
export function startSpan(
  name: string,
  kind: SpanKind,
  parent: string | undefined,
  attributes: Attributes,
): { span: Span; traceparent: string } | undefined {
  if (!provider) return undefined;
  const parentContext = parent ? propagation.extract(ROOT_CONTEXT, { traceparent: parent }) : ROOT_CONTEXT;
  const span = trace.getTracer("tessera").startSpan(name, { kind, attributes }, parentContext);
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { span, traceparent: `00-${traceId}-${spanId}-0${traceFlags.toString(16)}` };
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
