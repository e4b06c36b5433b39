import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { ORDER_ID_ATTRIBUTE, type SpanBuffer } from "./span-buffer.ts";

export type ReadinessCheck = () => Promise<{ ready: boolean; checks: Record<string, boolean> }>;

/**
 * The operations endpoints every service exposes on its own port, apart from its API:
 * `/healthz` (the process is alive), `/readyz` (it can do its job: database reachable, migrations
 * applied), `/metrics` (Prometheus text format) and `/spans?trace_id=…` or `/spans?order_id=…` (the
 * recent spans of one trace, from `spans`). Kubernetes probes and Prometheus scrape these.
 */
export function createOpsServer(registry: Registry, readiness: ReadinessCheck, spans?: SpanBuffer): Server {
  return createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://ops");
    const path = url.pathname;
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(body);
    };
    const json = (status: number, body: unknown) => send(status, "application/json", JSON.stringify(body));
    if (request.method !== "GET" && request.method !== "HEAD")
      return json(405, { error: "method not allowed" });
    switch (path) {
      case "/healthz":
        return json(200, { status: "ok" });
      case "/readyz":
        readiness().then(
          (result) =>
            json(result.ready ? 200 : 503, { status: result.ready ? "ready" : "not ready", ...result }),
          () => json(503, { status: "not ready" }),
        );
        return;
      case "/metrics":
        registry.metrics().then(
          (text) => send(200, registry.contentType, text),
          () => send(500, "text/plain", "metrics unavailable"),
        );
        return;
      case "/spans":
        return json(200, spansOf(spans, url.searchParams));
      default:
        return json(404, { error: "not found" });
    }
  });
}

/** The spans of the trace asked for by id, or of the newest trace that has a span for the order asked for. */
function spansOf(buffer: SpanBuffer | undefined, query: URLSearchParams) {
  if (!buffer) return { traceId: null, spans: [] };
  const orderId = query.get("order_id");
  const traceId = orderId ? buffer.traceIdsWith(ORDER_ID_ATTRIBUTE, orderId).at(-1) : query.get("trace_id");
  return { traceId: traceId ?? null, spans: traceId ? buffer.trace(traceId.toLowerCase()) : [] };
}
