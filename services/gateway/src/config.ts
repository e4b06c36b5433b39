import { isIP } from "node:net";
import { BaseConfig, address, flag, hostPort, port, z } from "@tessera/kit";

/** An origin a browser sends in `Origin`: scheme, host and optional port — no path, no trailing slash. */
const origin = z
  .string()
  .regex(
    /^https?:\/\/[\w.-]+(:\d{1,5})?$|^https?:\/\/\[[\d:a-fA-F]+\](:\d{1,5})?$/,
    "must be an origin like https://shop.example",
  );

/**
 * Comma-separated origins allowed to call the API from a browser (CORS). Unset means none: the
 * API then serves only same-origin pages (the storefront it hosts itself).
 */
const corsOrigins = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  )
  .pipe(z.array(origin));

/** An http(s) URL with neither query nor fragment, without a trailing slash. */
const plainUrl = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .refine((value) => !/[?#]/.test(value), "must have no query or fragment")
  .transform((url) => url.replace(/\/$/, ""));

/** An address or a CIDR range (`10.0.0.0/8`, `fd00::/8`). */
const isAddressOrRange = (value: string): boolean => {
  const [ip = "", bits, ...rest] = value.split("/");
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

/**
 * Which proxies in front of the gateway to believe about the client (`X-Forwarded-For`, `-Proto`,
 * `-Host`): unset, none — the client is the socket's peer; a number, that many hops (an ingress is
 * 1); or comma-separated addresses and CIDR ranges. The per-IP rate limit and what identity is
 * told about the client follow from it, so behind an ingress it must be set.
 */
const trustProxy = z
  .string()
  .default("")
  .transform((value, context) => {
    const trimmed = value.trim();
    if (trimmed === "") return false;
    if (/^\d{1,2}$/.test(trimmed)) return Number(trimmed);
    const list = trimmed.split(",").map((item) => item.trim());
    if (list.every(isAddressOrRange)) return list;
    context.addIssue({
      code: "custom",
      message: "must be a hop count or comma-separated addresses/CIDR ranges",
    });
    return z.NEVER;
  });

const perMinute = (defaultLimit: number) =>
  z.coerce.number().int().min(1).max(1_000_000).default(defaultLimit);

export const GatewayConfig = BaseConfig.extend({
  GATEWAY_PORT: port(8080),
  GATEWAY_HOST: z.string().min(1).default("127.0.0.1"),
  GATEWAY_TRUST_PROXY: trustProxy,
  CATALOG_ADDR: address("127.0.0.1:50051"),
  CART_ADDR: address("127.0.0.1:50052"),
  ORDERS_ADDR: address("127.0.0.1:50054"),
  NOTIFICATIONS_ADDR: address("127.0.0.1:50056"),
  CORS_ORIGINS: corsOrigins,
  /** How long one API request may take in all; outgoing RPCs inherit it as their deadline. */
  GATEWAY_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /**
   * The origin clients reach the API at (`https://shop.example`), for absolute links (`Location`,
   * `next`) and the OpenAPI `servers`. Unset: the origin of `AUTH_ISSUER`, which is the gateway's own.
   */
  PUBLIC_URL: origin.optional(),
  /** The token issuer: the gateway's own public origin and `/oidc`, which it proxies to identity. */
  AUTH_ISSUER: plainUrl.default("http://127.0.0.1:8080/oidc"),
  /** Where the issuer's signing keys are read: identity's own address, not the public one. */
  AUTH_JWKS_URL: plainUrl.default("http://127.0.0.1:8090/oidc/jwks"),
  /** The `aud` every access token for the API carries. */
  AUTH_AUDIENCE: z.string().min(1).max(200).default("urn:tessera:api"),
  /** Identity's HTTP server, where `/oidc/*` is proxied. */
  IDENTITY_HTTP_ADDR: hostPort("127.0.0.1:8090"),
  /** Requests a minute one client address may make to `/api`. */
  RATE_LIMIT_IP_PER_MINUTE: perMinute(600),
  /** Requests a minute one signed-in caller (`sub`) may make to the routes that need one. */
  RATE_LIMIT_USER_PER_MINUTE: perMinute(300),
  /** Set: rate-limit counters live in Redis, shared by every gateway. Unset: in this process. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
  /**
   * Public catalog answers kept in memory, dropped on the catalog's `ProductChanged` events (tailed
   * on EVENTS_TRANSPORT) and on any gap in them; `false` turns the cache off.
   */
  GATEWAY_PRODUCT_CACHE: flag(true),
  /** The cache's bound: megabytes of answer bodies, least recently used dropped first. */
  GATEWAY_PRODUCT_CACHE_MB: z.coerce.number().int().min(1).max(1_024).default(8),
  /** The longest an answer stays cached, whatever the events say: a backstop. */
  GATEWAY_PRODUCT_CACHE_TTL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Where the catalog's events are tailed: its own `StreamEvents` (direct) or NATS (the services' setting). */
  EVENTS_TRANSPORT: z.enum(["direct", "nats", "kafka"]).default("direct"),
  NATS_URL: z
    .string()
    .regex(/^nats:\/\/[^\s]+$/, "must be a nats:// URL")
    .default("nats://127.0.0.1:4222"),
  EVENTS_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,30}$/i, "must be a short identifier")
    .default("tessera"),
});

export type GatewayConfig = z.infer<typeof GatewayConfig>;
