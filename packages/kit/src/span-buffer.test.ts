import type { AddressInfo } from "node:net";
import { ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createOpsServer } from "./ops-server.ts";
import { ORDER_ID_ATTRIBUTE, SpanBuffer } from "./span-buffer.ts";

function traced(capacity: number) {
  const buffer = new SpanBuffer("orders", capacity);
  const tracer = new TracerProvider({ spanProcessors: [buffer] }).getTracer("test");
  return { buffer, tracer };
}

describe("the span buffer", () => {
  it("keeps the newest spans up to its capacity, dropping the oldest", () => {
    const { buffer, tracer } = traced(3);
    const traceIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const span = tracer.startSpan(`span ${i}`);
      span.end();
      traceIds.push(span.spanContext().traceId);
    }
    expect(buffer.size).toBe(3);
    expect(traceIds.map((id) => buffer.trace(id).map((span) => span.name))).toEqual([
      [],
      [],
      ["span 2"],
      ["span 3"],
      ["span 4"],
    ]);
  });

  it("returns one trace's spans in start order with parents, status and attributes", () => {
    const { buffer, tracer } = traced(10);
    const parent = tracer.startSpan("PlaceOrder", { attributes: { [ORDER_ID_ATTRIBUTE]: "order-1" } });
    const child = tracer.startSpan("db transaction", {}, trace.setSpan(ROOT_CONTEXT, parent));
    child.setStatus({ code: SpanStatusCode.ERROR, message: "deadlock" });
    child.end();
    parent.end();
    tracer.startSpan("another trace").end();
    const traceId = parent.spanContext().traceId;
    const spans = buffer.trace(traceId);
    expect(spans.map((s) => s.name)).toEqual(["PlaceOrder", "db transaction"]);
    expect(spans[1]).toMatchObject({
      service: "orders",
      parentSpanId: parent.spanContext().spanId,
      status: "error: deadlock",
    });
    expect(spans[0]!.attributes).toEqual({ [ORDER_ID_ATTRIBUTE]: "order-1" });
    expect(spans[0]!.durationMs).toBeGreaterThanOrEqual(spans[1]!.durationMs);
    expect(buffer.traceIdsWith(ORDER_ID_ATTRIBUTE, "order-1")).toEqual([traceId]);
  });

  it("is served at /spans on the ops port, by trace id or by order id", async () => {
    const { buffer, tracer } = traced(10);
    const span = tracer.startSpan("PlaceOrder", { attributes: { [ORDER_ID_ATTRIBUTE]: "order-2" } });
    span.end();
    const server = createOpsServer(
      new Registry(),
      () => Promise.resolve({ ready: true, checks: {} }),
      buffer,
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const byOrder = (await (await fetch(`${base}/spans?order_id=order-2`)).json()) as {
        traceId: string;
        spans: unknown[];
      };
      expect(byOrder.traceId).toBe(span.spanContext().traceId);
      expect(byOrder.spans).toHaveLength(1);
      const byTrace = (await (await fetch(`${base}/spans?trace_id=${byOrder.traceId}`)).json()) as {
        spans: unknown[];
      };
      expect(byTrace.spans).toEqual(byOrder.spans);
      expect(await (await fetch(`${base}/spans?order_id=unknown`)).json()).toEqual({
        traceId: null,
        spans: [],
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
