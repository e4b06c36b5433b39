import { newId } from "@tessera/kit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayMs } from "./cart-store.ts";
import { RedisCartStore } from "./redis-cart-store.ts";
import { cartStoreContract, sampleLine, setLines } from "./testing/cart-store-contract.ts";

const redisUrl = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
// Each run writes under its own prefix and deletes exactly those keys afterwards.
const prefix = `test:cart:${newId()}:`;

describe("RedisCartStore on a real Redis", () => {
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    return redis;
  };
  let admin: Redis;

  beforeAll(() => {
    admin = connect();
  });

  afterAll(async () => {
    const keys: string[] = [];
    for await (const batch of admin.scanStream({ match: `${prefix}*`, count: 500 }))
      keys.push(...(batch as string[]));
    if (keys.length > 0) await admin.del(...keys);
    await Promise.all(connections.map((redis) => redis.quit().catch(() => redis.disconnect())));
  });

  cartStoreContract(({ ttlMs }) => new RedisCartStore(connect(), { prefix, ttlMs }));

  describe("storage layout", () => {
    const ttlMs = 30 * dayMs;
    let store: RedisCartStore;
    beforeAll(() => {
      store = new RedisCartStore(connect(), { prefix, ttlMs });
    });

    it("keeps a cart as one hash per user: product id → JSON line", async () => {
      const user = newId();
      await store.update(user, setLines([sampleLine(1, { quantity: 2, unitPriceMinor: 2n ** 60n })]));
      expect(await admin.type(`${prefix}${user}`)).toBe("hash");
      const hash = await admin.hgetall(`${prefix}${user}`);
      expect(Object.keys(hash).sort()).toEqual([sampleLine(1).productId, "cart_id"].sort());
      expect(JSON.parse(hash[sampleLine(1).productId]!)).toEqual({
        sku: "SKU-1",
        name: "Product 1",
        quantity: 2,
        unitPriceMinor: (2n ** 60n).toString(),
        currency: "USD",
        addedAt: sampleLine(1).addedAt.toISOString(),
      });
    });

    it("sets the 30-day time to live on every write", async () => {
      const user = newId();
      const key = `${prefix}${user}`;
      await store.update(user, setLines([sampleLine(1)]));
      expect(await admin.pttl(key)).toBeGreaterThan(ttlMs - 60_000);
      await admin.pexpire(key, 5_000);
      await store.update(
        user,
        setLines((lines) => [...lines, sampleLine(2)]),
      );
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(ttlMs - 60_000);
      expect(ttl).toBeLessThanOrEqual(ttlMs);
    });

    it("leaves no key behind for an emptied cart", async () => {
      const user = newId();
      await store.update(user, setLines([sampleLine(1)]));
      await store.update(user, setLines([]));
      expect(await admin.exists(`${prefix}${user}`)).toBe(0);
    });

    it("redoes a change whose cart changed between its read and its write, losing nothing", async () => {
      const user = newId();
      const connection = connect();
      const racing = new RedisCartStore(connection, { prefix, ttlMs });
      await racing.update(user, setLines([sampleLine(1)]));
      const intruder = JSON.stringify({
        sku: "SKU-2",
        name: "Product 2",
        quantity: 1,
        unitPriceMinor: "1999",
        currency: "USD",
        addedAt: sampleLine(2).addedAt.toISOString(),
      });
      let calls = 0;
      await racing.update(
        user,
        setLines((lines) => {
          // Another writer's command, queued on the same connection, lands after the read and before the write.
          if (++calls === 1) void connection.hset(`${prefix}${user}`, sampleLine(2).productId, intruder);
          return [...lines, sampleLine(3)];
        }),
      );
      expect(calls).toBe(2);
      expect((await racing.get(user)).lines).toEqual([sampleLine(1), sampleLine(2), sampleLine(3)]);
    });

    it("answers unavailable when Redis cannot be reached", async () => {
      const unreachable = new RedisCartStore(
        new Redis("redis://127.0.0.1:1", {
          maxRetriesPerRequest: 0,
          lazyConnect: true,
          retryStrategy: () => null,
        }),
        { prefix, ttlMs },
      );
      await expect(unreachable.get(newId())).rejects.toMatchObject({ code: "unavailable" });
      expect(await unreachable.ping()).toBe(false);
      await unreachable.close();
    });
  });
});
