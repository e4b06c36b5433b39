import type { FastifyInstance } from "fastify";
import { runWithContext, type Logger, type Metrics } from "@tessera/kit";
import { contextOf, endRequestSpan } from "./request-context.ts";

/**
 * The path an access-log line shows: the API's as requested; identity's (`/oidc/...`) cut after its
 * first segment, because sign-in pages carry interaction ids in the path that act as credentials.
 */
export function loggedPath(url: string): string {
  const path = url.split("?", 1)[0] ?? "";
  const identity = /^\/oidc\/[^/]*/i.exec(path);
  return (identity ? identity[0] : path).slice(0, 1024);
}

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
    endRequestSpan(request, route, status);
    runWithContext(contextOf(request), () =>
      log.info(
        {
          "http.request.method": request.method,
          "http.route": route,
          "url.path": loggedPath(request.url),
          "http.response.status_code": status,
          "event.duration": Math.round(reply.elapsedTime * 1e6),
        },
        "request completed",
      ),
    );
    done();
  });
}
