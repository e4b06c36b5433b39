import { address, port, RpcServiceConfig, z } from "@tessera/kit";

export const CartConfig = RpcServiceConfig.extend({
  GRPC_PORT: port(50052),
  CATALOG_ADDR: address("127.0.0.1:50051"),
  /** The orders service, whose OrderPlaced events clear carts (direct transport). */
  ORDERS_ADDR: address("127.0.0.1:50054"),
  /** How long AddItem waits for the catalog before answering `unavailable`. */
  CART_CATALOG_DEADLINE_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /** Set: carts live in Redis (infrastructure mode). Unset: in this service's PostgreSQL database. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
  /** Prefix of the Redis keys: a cart is the hash `<prefix><user id>`. */
  CART_REDIS_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/, "must be 1 to 64 letters, digits or _ : . -")
    .default("cart:"),
  /** A cart nobody changed for this long is dropped. */
  CART_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** PostgreSQL store: how often expired carts are deleted. */
  CART_CLEANUP_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
});

export type CartConfig = z.infer<typeof CartConfig>;
