import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger, Metrics } from "@tessera/kit";
import { createAccessTokenVerifier } from "./access-token.ts";
import { createClientErrorHandler } from "./client-error.ts";
import type { GatewayConfig } from "./config.ts";
import { registerIdentityProxy } from "./identity-proxy.ts";
import { redactSecrets } from "./log-redaction.ts";
import { registerOpenApi } from "./openapi.ts";
import { bodyLimit, registerRequestBody } from "./request-body.ts";
import { problemErrorHandler, routeNotFound, sendProblem, toProblem } from "./problem.ts";
import { installRequestContext } from "./request-context.ts";
import { requestIdOf } from "./request-id.ts";
import { installRequestMetrics } from "./request-metrics.ts";
import { requireDeclaredAccess } from "./route-access.ts";
import { sharedSchemas, type ApiTypes } from "./routes/api.ts";
import { cartRoutes, type CartClient } from "./routes/cart.ts";
import { notificationRoutes, type NotificationsClient } from "./routes/notifications.ts";
import { orderRoutes, type OrdersClient } from "./routes/orders.ts";
import { registerRateLimits } from "./rate-limits.ts";
import { productRoutes, type CatalogClient } from "./routes/products.ts";
import { registerSecurity } from "./security.ts";
import { installTextInputCheck } from "./text-input.ts";
import { authenticateCaller, requireAdmin } from "./user.ts";
import { buildValidator } from "./validation.ts";

export interface AppOptions {
  catalog: CatalogClient;
  cart: CartClient;
  orders: OrdersClient;
  notifications: NotificationsClient;
  log: Logger;
  metrics: Metrics;
  config: Pick<
    GatewayConfig,
    | "CORS_ORIGINS"
    | "GATEWAY_REQUEST_TIMEOUT_MS"
    | "GATEWAY_TRUST_PROXY"
    | "AUTH_ISSUER"
    | "AUTH_JWKS_URL"
    | "AUTH_AUDIENCE"
    | "IDENTITY_HTTP_ADDR"
    | "RATE_LIMIT_IP_PER_MINUTE"
    | "RATE_LIMIT_USER_PER_MINUTE"
    | "REDIS_URL"
  >;
}

/**
 * The gateway's HTTP app, ready to `listen()` or to test with `inject()`: public REST API under
 * `/api/v1`, OpenAPI document and docs under `/api`, problem+json errors, request ids and
 * deadlines, security headers, CORS, rate limits and per-route metrics; identity's OpenID provider
 * proxied at `/oidc`. Each route declares its access: products are public; the cart, checkout,
 * orders and notifications act for the caller whose access token `user.ts` verified.
 */
export async function buildApp({
  catalog,
  cart,
  orders,
  notifications,
  log: serviceLog,
  metrics,
  config,
}: AppOptions): Promise<FastifyInstance> {
  const log = redactSecrets(serviceLog);
  const logger: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance: logger,
    // One access-log line per request comes from request-metrics.ts, with the request id from the context.
    logController: new LogController({ disableRequestLogging: true }),
    // The request id reaches log lines through the kit's request context (`http.request.id`), not a `reqId` binding.
    childLoggerFactory: (parent, _bindings, options) => parent.child({}, options),
    genReqId: requestIdOf,
    trustProxy: trustedProxies(config.GATEWAY_TRUST_PROXY),
    bodyLimit,
    schemaController: { compilersFactory: { buildValidator } },
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
  // Before the API's rules below, none of which applies to identity's pages and endpoints.
  await registerIdentityProxy(app, {
    address: config.IDENTITY_HTTP_ADDR,
    timeoutMs: config.GATEWAY_REQUEST_TIMEOUT_MS,
  });
  await registerSecurity(app, { corsOrigins: config.CORS_ORIGINS });
  const { perCaller } = await registerRateLimits(app, {
    perIpPerMinute: config.RATE_LIMIT_IP_PER_MINUTE,
    perCallerPerMinute: config.RATE_LIMIT_USER_PER_MINUTE,
    redisUrl: config.REDIS_URL,
    log,
  });

  // JSON only (a text/plain body gets a 415 rather than a confusing schema error), maybe compressed.
  await registerRequestBody(app);
  installTextInputCheck(app);

  for (const schema of sharedSchemas) app.addSchema(schema);
  await registerOpenApi(app, { issuer: config.AUTH_ISSUER });

  // From here on every route says who may call it (route-access.ts); the docs above are public.
  const verify = createAccessTokenVerifier({
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    jwksUrl: config.AUTH_JWKS_URL,
  });
  requireDeclaredAccess(app, {
    authenticate: authenticateCaller({ verify, log }),
    requireAdmin,
    signedIn: [perCaller],
  });
  const api = app.withTypeProvider<ApiTypes>();
  api.get("/", { config: { access: "public" }, schema: { hide: true } }, () => ({
    name: "Tessera",
    api: "/api/v1",
    docs: "/api/docs",
  }));
  productRoutes(api, { catalog });
  cartRoutes(api, { cart });
  orderRoutes(api, { orders });
  notificationRoutes(api, { notifications });
  return app;
}

/** `GATEWAY_TRUST_PROXY` as fastify takes it: a hop count is a function of the hop. */
function trustedProxies(trust: GatewayConfig["GATEWAY_TRUST_PROXY"]) {
  return typeof trust === "number" ? (_address: string, hop: number) => hop < trust : trust;
}
