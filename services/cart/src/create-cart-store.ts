import { Redis } from "ioredis";
import type { Service } from "@tessera/kit";
import type { CartConfig } from "./config.ts";
import { dayMs, type CartStore } from "./cart-store.ts";
import { PgCartStore } from "./pg-cart-store.ts";
import { RedisCartStore } from "./redis-cart-store.ts";

/**
 * The store the configuration asks for — Redis when REDIS_URL is set, else the service's
 * PostgreSQL database — wired into the service's readiness and shutdown. The PostgreSQL store
 * also gets its periodic deletion of expired carts (Redis expires keys by itself).
 */
export function createCartStore(service: Service<CartConfig>): CartStore {
  const { config, log } = service;
  const ttlMs = config.CART_TTL_DAYS * dayMs;
  if (config.REDIS_URL !== undefined) {
    const redis = new Redis(config.REDIS_URL, {
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
  const store = new PgCartStore(service.db, { ttlMs });
  let timer: NodeJS.Timeout | undefined;
  service.beforeServing(() => {
    timer = setInterval(() => {
      store.deleteExpired().then(
        (deleted) => {
          if (deleted > 0) log.info({ "carts.deleted": deleted }, "deleted expired carts");
        },
        (error: unknown) => log.warn({ err: error }, "deleting expired carts failed"),
      );
    }, config.CART_CLEANUP_INTERVAL_MS);
    timer.unref();
  });
  service.onStop(() => clearInterval(timer));
  log.info({ store: "postgresql" }, "carts live in postgresql");
  return store;
}
