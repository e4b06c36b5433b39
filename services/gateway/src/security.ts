import cors from "@fastify/cors";
import helmet from "helmet";
import type { FastifyInstance } from "fastify";
import { httpProblem, sendProblem } from "./problem.ts";
import { requestIdHeader } from "./request-id.ts";

/**
 * The longest URL served. On a socket, Node already refuses a request line and headers over 16 KiB
 * (see client-error.ts); this holds however the server was started, and makes the answer a 414.
 */
export const maxUrlLength = 8 * 1024;

/**
 * Security headers on every response the gateway makes itself (helmet's defaults: CSP, nosniff,
 * frame and referrer policies) — not on what it proxies, whose server sets its own — and a 414
 * problem for URLs longer than `maxUrlLength`.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  // helmet itself, built once: @fastify/helmet rebuilds it (re-parsing the CSP) on every request,
  // which cost 11% of a request's CPU here.
  const secureHeaders = helmet({
    contentSecurityPolicy: {
      // Helmet's default CSP suits Swagger UI (its scripts and styles are files, not inline).
      // Not upgrade-insecure-requests: TLS ends at the ingress, and embedded mode is plain http.
      directives: { upgradeInsecureRequests: null },
    },
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (request.routeOptions.config.proxiedTo !== undefined) return done();
    secureHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
  app.addHook("onRequest", async (request, reply) => {
    if (request.url.length > maxUrlLength) {
      return sendProblem(
        request,
        reply,
        httpProblem(414, `The URL is too long (at most ${maxUrlLength} characters).`),
      );
    }
  });
}

/**
 * CORS for the configured origins only — none by default, so browsers allow only same-origin
 * pages, such as the storefront the gateway serves. Register it in the API's own context: identity
 * answers its own CORS (its token endpoint, for the storefront's origin).
 */
export async function registerCors(
  app: FastifyInstance,
  { corsOrigins }: { corsOrigins: readonly string[] },
) {
  if (corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: [...corsOrigins],
    methods: ["GET", "HEAD", "POST", "PUT", "DELETE"],
    // What the API reads, and nothing else: the access token, a JSON body (maybe compressed),
    // the checkout's key, and the ids that tie a browser's request to the logs.
    allowedHeaders: [
      "authorization",
      "content-type",
      "content-encoding",
      "idempotency-key",
      requestIdHeader,
      "traceparent",
    ],
    exposedHeaders: [
      requestIdHeader,
      "retry-after",
      "location",
      "www-authenticate",
      "idempotent-replayed",
      "ratelimit-limit",
      "ratelimit-remaining",
      "ratelimit-reset",
    ],
    maxAge: 600,
  });
}
