import { SpanStatusCode, type Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace";

/** A finished span as the ops port serves it (`GET /spans`) and `npm run trace` draws it. */
export interface BufferedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  service: string;
  name: string;
  /** `SpanKind` as OpenTelemetry numbers it: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  kind: number;
  /** Epoch milliseconds, fractional. */
  startMs: number;
  durationMs: number;
  /** "ok", "error" or "unset", with the error's message after a colon. */
  status: string;
  attributes: Record<string, string | number | boolean>;
}

/** The attribute a span carries when it concerns one order, so an order id finds its trace. */
export const ORDER_ID_ATTRIBUTE = "tessera.order_id";

/**
 * Keeps the last `capacity` finished spans of this process in memory, oldest dropped first, so a
 * trace can be looked at without a collector. Memory is bounded by the span count: each entry is a
 * small plain object, not the SDK's span.
 *
 * @example
 *   const buffer = new SpanBuffer("orders", 2_000);
 *   buffer.trace("4bf92f3577b34da6a3ce929d0e0e4736"); // that trace's spans seen here
 */
export class SpanBuffer implements SpanProcessor {
  readonly #service: string;
  readonly #capacity: number;
  readonly #spans: BufferedSpan[] = [];
  #next = 0;

  constructor(service: string, capacity = 2_000) {
    this.#service = service;
    this.#capacity = capacity;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const entry = this.#entryOf(span);
    if (this.#spans.length < this.#capacity) this.#spans.push(entry);
    else this.#spans[this.#next] = entry;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** The buffered spans of one trace, in start order. */
  trace(traceId: string): BufferedSpan[] {
    // Spans starting in the same millisecond: the enclosing (longer) one first.
    return this.#spans
      .filter((span) => span.traceId === traceId)
      .sort((a, b) => a.startMs - b.startMs || b.durationMs - a.durationMs);
  }

  /** The trace ids of buffered spans carrying `attribute` = `value`, newest last. */
  traceIdsWith(attribute: string, value: string): string[] {
    const ids = this.#spans
      .filter((span) => span.attributes[attribute] === value)
      .sort((a, b) => a.startMs - b.startMs)
      .map((span) => span.traceId);
    return [...new Set(ids)];
  }

  get size(): number {
    return this.#spans.length;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  #entryOf(span: ReadableSpan): BufferedSpan {
    const { traceId, spanId } = span.spanContext();
    const toMs = ([seconds, nanos]: [number, number]) => seconds * 1e3 + nanos / 1e6;
    const code =
      span.status.code === SpanStatusCode.ERROR
        ? "error"
        : span.status.code === SpanStatusCode.OK
          ? "ok"
          : "unset";
    const attributes: BufferedSpan["attributes"] = {};
    for (const [key, value] of Object.entries(span.attributes)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
        attributes[key] = value;
    }
    return {
      traceId,
      spanId,
      ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
      service: this.#service,
      name: span.name,
      kind: span.kind,
      startMs: toMs(span.startTime),
      durationMs: toMs(span.duration),
      status: span.status.message ? `${code}: ${span.status.message}` : code,
      attributes,
    };
  }
}
