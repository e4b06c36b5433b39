import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { httpProblem, routeNotFound, sendProblem } from "./problem.ts";

/**
 * The paths the app serves and the methods each has, to tell a wrong method (405 with `Allow`,
 * RFC 9110 §15.5.6) from an unknown path (404). Record routes with `install` before any is
 * registered; `notFound` is the app's not-found handler. Catch-all routes (`*`, such as the CORS
 * preflight) say nothing about which paths exist, and are left out.
 */
export function methodRegistry() {
  const paths = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  const allowed = (path: string): string[] => {
    const methods = new Set<string>();
    for (const { pattern, methods: some } of paths.values()) {
      if (pattern.test(path)) for (const method of some) methods.add(method);
    }
    return [...methods].sort();
  };
  return {
    install(app: FastifyInstance): void {
      app.addHook("onRoute", (route) => {
        const url = route.url ?? route.path;
        if (url === "*" || url === "/*") return;
        const entry = paths.get(url) ?? { pattern: patternOf(url), methods: new Set<string>() };
        for (const method of [route.method].flat()) entry.methods.add(method);
        paths.set(url, entry);
      });
    },
    notFound: (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
      const methods = allowed(request.url.split("?", 1)[0] ?? "");
      if (methods.length === 0 || methods.includes(request.method)) return routeNotFound(request, reply);
      reply.header("allow", methods.join(", "));
      return sendProblem(
        request,
        reply,
        httpProblem(405, `${request.method} is not allowed here; this path allows ${methods.join(", ")}.`),
      );
    },
  };
}

/** A route URL (`/api/v1/orders/:id/cancel`, `/api/docs/*`) as a regular expression over request paths. */
function patternOf(url: string): RegExp {
  const source = url
    .split("/")
    .map((segment) =>
      segment === "*"
        ? ".*"
        : segment.startsWith(":")
          ? "[^/]+"
          : segment.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${source}$`);
}
