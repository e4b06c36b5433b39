import { Redis } from "ioredis";
import { CartService } from "@tessera/contracts/cart/v1";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { OrderPlacedSchema } from "@tessera/contracts/orders/v1";
import { createService, type Service } from "@tessera/kit";
import { dayMs, type CartStore } from "./cart-store.ts";
import { Carts } from "./carts.ts";
import { catalogProducts } from "./catalog-products.ts";
import { CartConfig } from "./config.ts";
import { takeOrderFromCart } from "./order-placed.ts";
import { PgCartStore } from "./pg-cart-store.ts";
import { RedisCartStore } from "./redis-cart-store.ts";
import { cartHandlers } from "./rpc.ts";

/**
 * The cart service, wired: carts in Redis or PostgreSQL, priced by the catalog, taken out by
 * OrderPlaced. `main.ts` starts it; so do the tests.
 */
export async function createCart(options: { env?: Record<string, string | undefined> } = {}) {
  // The database is there in every mode: the inbox that makes OrderPlaced apply once lives in it.
  const service = await createService({
    name: "cart",
    config: CartConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    producers: { orders: (config) => config.ORDERS_ADDR },
    env: options.env,
  });
  const { config } = service;
  const catalog = service.client(CatalogService, config.CATALOG_ADDR, {
    deadlineMs: config.CART_CATALOG_DEADLINE_MS,
  });
  const ttlMs = config.CART_TTL_DAYS * dayMs;
  const store =
    config.REDIS_URL === undefined
      ? pgCartStore(service, ttlMs)
      : redisCartStore(service, config.REDIS_URL, ttlMs);
  const carts = new Carts(store, catalogProducts(catalog));
  service.serve(CartService, cartHandlers(carts));
  service.subscribe("order-placed", [OrderPlacedSchema], takeOrderFromCart(carts));
  return { service, store, carts };
}

/** Carts in the service's database, the expired ones deleted periodically. */
function pgCartStore(service: Service<CartConfig>, ttlMs: number): CartStore {
  const { config, log } = service;
  const store = new PgCartStore(service.db, { ttlMs });
  service.every("expired-carts-sweep", config.CART_CLEANUP_INTERVAL_MS, async () => {
    const deleted = await store.deleteExpired();
    if (deleted > 0) log.info({ "carts.deleted": deleted }, "deleted expired carts");
  });
  log.info({ store: "postgresql" }, "carts live in postgresql");
  return store;
}

/** Carts in Redis (infrastructure mode), which expires them by itself; its readiness is the service's. */
function redisCartStore(service: Service<CartConfig>, url: string, ttlMs: number): CartStore {
  const { config, log } = service;
  const redis = new Redis(url, {
    // Fail a command soon rather than queue it for long: callers get `unavailable` and retry.
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
  });
  redis.on("error", (error: unknown) => log.warn({ err: error }, "redis connection failed"));
  const store = new RedisCartStore(redis, { prefix: config.CART_REDIS_PREFIX, ttlMs });
  service.readiness("redis", () => store.ping());
  service.onStop(() => store.close());
  log.info({ store: "redis" }, "carts live in redis");
  return store;
}
