import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger, Metrics } from "@tessera/kit";
import { createClientErrorHandler } from "./client-error.ts";
import type { GatewayConfig } from "./config.ts";
import { registerOpenApi } from "./openapi.ts";
import { problemErrorHandler, problemSchema, routeNotFound, sendProblem, toProblem } from "./problem.ts";
import { installRequestContext } from "./request-context.ts";
import { requestIdOf } from "./request-id.ts";
import { installRequestMetrics } from "./request-metrics.ts";
import { productSchemas } from "./routes/product-schemas.ts";
import { productRoutes, type CatalogClient } from "./routes/products.ts";
import { registerSecurity } from "./security.ts";

export interface AppOptions {
  catalog: CatalogClient;
  log: Logger;
  metrics: Metrics;
  config: Pick<GatewayConfig, "CORS_ORIGINS" | "GATEWAY_REQUEST_TIMEOUT_MS">;
}

/**
 * The gateway's HTTP app, ready to `listen()` or to test with `inject()`: public REST API under
 * `/api/v1`, OpenAPI document and docs under `/api`, problem+json errors, request ids and
 * deadlines, security headers, CORS, and per-route metrics.
 */
export async function buildApp({ catalog, log, metrics, config }: AppOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance: logger,
    // One access-log line per request comes from request-metrics.ts, with the request id from the context.
    logController: new LogController({ disableRequestLogging: true }),
    // The request id reaches log lines through the kit's request context (`http.request.id`), not a `reqId` binding.
    childLoggerFactory: (parent, _bindings, options) => parent.child({}, options),
    genReqId: requestIdOf,
    bodyLimit: 1024 * 1024,
    handlerTimeout: config.GATEWAY_REQUEST_TIMEOUT_MS,
    // Slow senders may not hold a connection open indefinitely (Node's default is 5 minutes).
    requestTimeout: 30_000,
    // Node's default, stated: request line plus headers over 16 KiB get a 414/431 problem (client-error.ts).
    http: { maxHeaderSize: 16 * 1024 },
    clientErrorHandler: createClientErrorHandler({ log, metrics }),
    frameworkErrors: (error, request, reply) => void sendProblem(request, reply, toProblem(error)),
  });

  installRequestContext(app, { timeoutMs: config.GATEWAY_REQUEST_TIMEOUT_MS });
  installRequestMetrics(app, { log, metrics });
  app.setErrorHandler(problemErrorHandler(log));
  app.setNotFoundHandler(routeNotFound);
  await registerSecurity(app, { corsOrigins: config.CORS_ORIGINS });

  app.addSchema(problemSchema);
  for (const schema of productSchemas) app.addSchema(schema);
  await registerOpenApi(app);

  app.get("/", { schema: { hide: true } }, () => ({ name: "Tessera", api: "/api/v1", docs: "/api/docs" }));
  productRoutes(app, { catalog });
  return app;
}
