import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export type ReadinessCheck = () => Promise<{ ready: boolean; checks: Record<string, boolean> }>;

/**
 * The operations endpoints every service exposes on its own port, apart from its API:
 * `/healthz` (the process is alive), `/readyz` (it can do its job: database reachable, migrations
 * applied) and `/metrics` (Prometheus text format). Kubernetes probes and Prometheus scrape these.
 */
export function createOpsServer(registry: Registry, readiness: ReadinessCheck): Server {
  return createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
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
      default:
        return json(404, { error: "not found" });
    }
  });
}
