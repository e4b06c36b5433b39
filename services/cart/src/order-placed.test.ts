import { create, toJson } from "@bufbuild/protobuf";
import { OrderPlacedSchema } from "@tessera/contracts/orders/v1";
import { newId, type ReceivedEvent } from "@tessera/kit";
import {
  createTestDatabase,
  type TestDatabase,
  startTestProducer,
  type TestProducer,
} from "@tessera/kit/testing";
import { Redis } from "ioredis";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Carts } from "./carts.ts";
import { clearCartOnOrderPlaced } from "./order-placed.ts";
import { RedisCartStore } from "./redis-cart-store.ts";
import { sampleLine } from "./testing/cart-store-contract.ts";
import { startCartService } from "./testing/cart-service.ts";

const noCatalog = () => Promise.reject(new Error("clearing a cart never asks the catalog"));

function orderPlaced(userId: string): ReceivedEvent<typeof OrderPlacedSchema> {
  const orderId = newId();
  const data = create(OrderPlacedSchema, {
    orderId,
    userId,
    total: { currencyCode: "USD", amountMinor: 1_999n },
  });
  return {
    data,
    envelope: {
      id: newId(),
      type: OrderPlacedSchema.typeName,
      source: "orders",
      subject: orderId,
      time: new Date(),
      datacontenttype: "application/json",
      schemaVersion: 1,
      data: toJson(OrderPlacedSchema, data),
      traceparent: "",
      position: 1n,
    },
  };
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe("clearing the cart when an order is placed", () => {
  let database: TestDatabase;
  let orders: TestProducer;
  let cart: Awaited<ReturnType<typeof startCartService>>;

  beforeAll(async () => {
    database = await createTestDatabase("cart_orders_consumer");
    orders = await startTestProducer("orders");
    cart = await startCartService({ DATABASE_URL: database.url, ORDERS_ADDR: orders.address });
  });

  afterAll(async () => {
    await cart?.service.stop();
    await orders?.stop();
    await database?.drop();
  });

  const inboxCount = async (eventId: string) => {
    const { rows } = await cart.service.db.query<{ count: bigint }>(
      "SELECT count(*) FROM inbox WHERE event_id = $1",
      [eventId],
    );
    return rows[0]?.count ?? 0n;
  };

  describe("with carts in PostgreSQL", () => {
    it("empties the buyer's cart inside the event's transaction, and no one else's", async () => {
      const [buyer, other] = [newId(), newId()];
      await cart.store.update(buyer, () => [sampleLine(1), sampleLine(2)]);
      await cart.store.update(other, () => [sampleLine(1)]);
      const handler = clearCartOnOrderPlaced(cart.carts);
      await cart.service.db.tx((tx) => handler(orderPlaced(buyer), tx));
      expect(await cart.store.get(buyer)).toEqual([]);
      expect(await cart.store.get(other)).toEqual([sampleLine(1)]);
    });

    it("keeps the cart when the event's transaction rolls back, so the retry clears it once", async () => {
      const buyer = newId();
      await cart.store.update(buyer, () => [sampleLine(1)]);
      const handler = clearCartOnOrderPlaced(cart.carts);
      const event = orderPlaced(buyer);
      const failed = cart.service.db.tx(async (tx) => {
        await handler(event, tx);
        throw new Error("crashed before the inbox row committed");
      });
      await expect(failed).rejects.toThrow("crashed");
      expect(await cart.store.get(buyer)).toEqual([sampleLine(1)]);
      await cart.service.db.tx((tx) => handler(event, tx));
      expect(await cart.store.get(buyer)).toEqual([]);
    });

    it("ignores an event without a usable user id instead of retrying it forever", async () => {
      const handler = clearCartOnOrderPlaced(cart.carts);
      await cart.service.db.tx((tx) => handler(orderPlaced(""), tx));
      await cart.service.db.tx((tx) => handler(orderPlaced("u".repeat(129)), tx));
    });

    it("applies an OrderPlaced from the orders service's outbox exactly once", async () => {
      const [buyer, other] = [newId(), newId()];
      await cart.store.update(buyer, () => [sampleLine(1), sampleLine(2)]);
      const first = await orders.publish(
        OrderPlacedSchema,
        { orderId: newId(), userId: buyer, total: { currencyCode: "USD", amountMinor: 3_998n } },
        newId(),
      );
      await waitFor("the cart to be cleared", async () => (await cart.store.get(buyer)).length === 0);
      await waitFor("the event in the inbox", async () => (await inboxCount(first.id)) === 1n);

      // The buyer shops again; a later event for someone else must not re-apply the first one.
      await cart.store.update(buyer, () => [sampleLine(3)]);
      const second = await orders.publish(
        OrderPlacedSchema,
        { orderId: newId(), userId: other, total: { currencyCode: "USD", amountMinor: 1n } },
        newId(),
      );
      await waitFor("the second event in the inbox", async () => (await inboxCount(second.id)) === 1n);
      expect(await inboxCount(first.id)).toBe(1n);
      expect(await cart.store.get(buyer)).toEqual([sampleLine(3)]);
    });
  });

  describe("with carts in Redis", () => {
    const prefix = `test:cart:${newId()}:`;
    let redis: Redis;
    let store: RedisCartStore;

    beforeAll(() => {
      redis = new Redis(process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379", {
        maxRetriesPerRequest: 1,
      });
      store = new RedisCartStore(redis.duplicate(), { prefix, ttlMs: 60_000 });
    });

    afterAll(async () => {
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${prefix}*` })) keys.push(...(batch as string[]));
      if (keys.length > 0) await redis.del(...keys);
      await store?.close();
      await redis?.quit();
    });

    it("clears the cart, and a redelivered event clearing it again changes nothing", async () => {
      const [buyer, other] = [newId(), newId()];
      await store.update(buyer, () => [sampleLine(1)]);
      await store.update(other, () => [sampleLine(2)]);
      const handler = clearCartOnOrderPlaced(new Carts(store, noCatalog));
      const event = orderPlaced(buyer);
      await cart.service.db.tx((tx) => handler(event, tx));
      expect(await store.get(buyer)).toEqual([]);
      await cart.service.db.tx((tx) => handler(event, tx));
      expect(await store.get(buyer)).toEqual([]);
      expect(await store.get(other)).toEqual([sampleLine(2)]);
      expect(await redis.exists(`${prefix}${buyer}`)).toBe(0);
    });
  });
});
