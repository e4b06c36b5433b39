import type { FastifyInstance } from "fastify";
import { runWithContext, type Logger, type Metrics } from "@tessera/kit";
import { contextOf } from "./request-context.ts";

/**
 * Times every response into `http_server_duration_seconds`, labelled by route pattern (never the
 * raw URL, which would make a label value per product id), and writes one access-log line.
 */
export function installRequestMetrics(
  app: FastifyInstance,
  { log, metrics }: { log: Logger; metrics: Metrics },
): void {
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "(unmatched)";
    const status = reply.statusCode;
    metrics.httpServer.observe(
      { method: request.method, route, status_code: String(status) },
      reply.elapsedTime / 1000,
    );
    runWithContext(contextOf(request), () =>
      log.info(
        {
          "http.request.method": request.method,
          "http.route": route,
          "url.path": request.url.split("?", 1)[0]?.slice(0, 1024),
          "http.response.status_code": status,
          "event.duration": Math.round(reply.elapsedTime * 1e6),
        },
        "request completed",
      ),
    );
    done();
  });
}
