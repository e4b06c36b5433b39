import { BaseConfig, address, port, z } from "@tessera/kit";

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

export const GatewayConfig = BaseConfig.extend({
  GATEWAY_PORT: port(8080),
  GATEWAY_HOST: z.string().min(1).default("0.0.0.0"),
  CATALOG_ADDR: address("127.0.0.1:50051"),
  CART_ADDR: address("127.0.0.1:50052"),
  ORDERS_ADDR: address("127.0.0.1:50054"),
  NOTIFICATIONS_ADDR: address("127.0.0.1:50056"),
  CORS_ORIGINS: corsOrigins,
  /** How long one API request may take in all; outgoing RPCs inherit it as their deadline. */
  GATEWAY_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
});

export type GatewayConfig = z.infer<typeof GatewayConfig>;
