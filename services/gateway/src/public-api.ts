import type { FastifyInstance } from "fastify";
import type { Logger } from "@tessera/kit";
import { createAccessTokenVerifier } from "./access-token.ts";
import type { GatewayConfig } from "./config.ts";
import { registerOpenApi } from "./openapi.ts";
import { createLinks } from "./routes/links.ts";
import { refuseUndeclaredQueryParameters } from "./query-params.ts";
import { registerRateLimits } from "./rate-limits.ts";
import { registerRequestBody } from "./request-body.ts";
import { requireDeclaredAccess } from "./route-access.ts";
import { sharedSchemas, type ApiTypes } from "./routes/api.ts";
import { cartRoutes, type CartClient } from "./routes/cart.ts";
import { notificationRoutes, type NotificationsClient } from "./routes/notifications.ts";
import { orderRoutes, type OrdersClient } from "./routes/orders.ts";
import { productRoutes, type CatalogClient } from "./routes/products.ts";
import type { ProductCache } from "./product-cache.ts";
import { registerCors } from "./security.ts";
import { installTextInputCheck } from "./text-input.ts";
import { authenticateCaller, requireAdmin } from "./user.ts";

export interface PublicApiOptions {
  catalog: CatalogClient;
  cart: CartClient;
  orders: OrdersClient;
  notifications: NotificationsClient;
  /** The memory cache of public catalog answers (product-cache.ts); none answers every read from the catalog. */
  productCache?: ProductCache | undefined;
  log: Logger;
  config: Pick<
    GatewayConfig,
    | "CORS_ORIGINS"
    | "AUTH_ISSUER"
    | "PUBLIC_URL"
    | "AUTH_JWKS_URL"
    | "AUTH_AUDIENCE"
    | "RATE_LIMIT_IP_PER_MINUTE"
    | "RATE_LIMIT_USER_PER_MINUTE"
    | "REDIS_URL"
  >;
}

/**
 * The public REST API under `/api/v1`, its OpenAPI document and docs under `/api`, and the index
 * at `/`, with the rules that hold for them alone: CORS, rate limits, JSON bodies, the text check,
 * and each route's declared access. Register it as its own plugin, so none of this reaches
 * identity's pages beside it.
 */
export async function publicApi(
  app: FastifyInstance,
  { catalog, cart, orders, notifications, productCache, log, config }: PublicApiOptions,
): Promise<void> {
  await registerCors(app, { corsOrigins: config.CORS_ORIGINS });
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
  const publicOrigin = config.PUBLIC_URL ?? new URL(config.AUTH_ISSUER).origin;
  await registerOpenApi(app, { issuer: config.AUTH_ISSUER, origin: publicOrigin });

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
  // And takes only the query parameters it declares.
  refuseUndeclaredQueryParameters(app);
  const api = app.withTypeProvider<ApiTypes>();
  api.get("/", { config: { access: "public" }, schema: { hide: true } }, () => ({
    name: "Tessera",
    api: "/api/v1",
    docs: "/api/docs",
  }));
  const links = createLinks(publicOrigin);
  productRoutes(api, { catalog, links, cache: productCache });
  cartRoutes(api, { cart });
  orderRoutes(api, { orders, links });
  notificationRoutes(api, { notifications, links });
}
