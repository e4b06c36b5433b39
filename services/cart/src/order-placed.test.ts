import { create, toJson } from "@bufbuild/protobuf";
import { OrderPlacedSchema } from "@tessera/contracts/orders/v1";
import { newId, type ReceivedEvent } from "@tessera/kit";
import { startTestProducer, type TestProducer, waitFor } from "@tessera/kit/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CartLine } from "./cart-rules.ts";
import { emptyCart, type CartStore } from "./cart-store.ts";
import { Carts } from "./carts.ts";
import type { CatalogProducts } from "./catalog-products.ts";
import { takeOrderFromCart } from "./order-placed.ts";
import { RedisCartStore } from "./redis-cart-store.ts";
import { sampleLine, setLines } from "./testing/cart-store-contract.ts";
import { startTestCart, type TestCart } from "./testing/test-service.ts";

const noCatalog: CatalogProducts = {
  product: () => Promise.reject(new Error("taking an order from a cart never asks the catalog")),
  prices: () => Promise.reject(new Error("taking an order from a cart never asks the catalog")),
};

function orderPlaced(
  userId: string,
  cartId: string,
  lines: readonly CartLine[],
): ReceivedEvent<typeof OrderPlacedSchema> {
  const orderId = newId();
  const data = create(OrderPlacedSchema, {
    orderId,
    userId,
    total: { currencyCode: "USD", amountMinor: 1_999n },
    cartId,
    items: lines.map(({ productId, quantity }) => ({ productId, quantity })),
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

/** The order-taking rules every store must apply alike, in or outside the event's transaction. */
function takesOrders(
  name: string,
  storeOf: () => CartStore,
  inTx: <T>(work: (tx: never) => Promise<T>) => Promise<T>,
) {
  describe(name, () => {
    const handle = (event: ReceivedEvent<typeof OrderPlacedSchema>) =>
      inTx((tx) => takeOrderFromCart(new Carts(storeOf(), noCatalog))(event, tx));

    it("empties the buyer's ordered cart, and no one else's", async () => {
      const [buyer, other] = [newId(), newId()];
      const ordered = await storeOf().update(buyer, setLines([sampleLine(1), sampleLine(2)]));
      await storeOf().update(other, setLines([sampleLine(1)]));
      await handle(orderPlaced(buyer, ordered.id, ordered.lines));
      expect(await storeOf().get(buyer)).toEqual(emptyCart);
      expect((await storeOf().get(other)).lines).toEqual([sampleLine(1)]);
    });

    it("keeps what was added after the order was placed, under a new cart id", async () => {
      const buyer = newId();
      const ordered = await storeOf().update(
        buyer,
        setLines([sampleLine(1, { quantity: 2 }), sampleLine(2)]),
      );
      // While the order is being placed the buyer adds one more of product 1 and a product 3.
      await storeOf().update(buyer, setLines([sampleLine(1, { quantity: 3 }), sampleLine(2), sampleLine(3)]));
      await handle(orderPlaced(buyer, ordered.id, ordered.lines));
      const left = await storeOf().get(buyer);
      expect(left.lines).toEqual([sampleLine(1, { quantity: 1 }), sampleLine(3)]);
      expect(left.id).not.toBe(ordered.id);
      expect(left.id).not.toBe("");
    });

    it("leaves a newer cart alone, so a redelivered event changes nothing", async () => {
      const buyer = newId();
      const ordered = await storeOf().update(buyer, setLines([sampleLine(1)]));
      const event = orderPlaced(buyer, ordered.id, ordered.lines);
      await handle(event);
      const next = await storeOf().update(buyer, setLines([sampleLine(1)]));
      await handle(event);
      expect(await storeOf().get(buyer)).toEqual(next);
    });

    it("clears the whole cart for an order from before carts had ids", async () => {
      const buyer = newId();
      await storeOf().update(buyer, setLines([sampleLine(1), sampleLine(2)]));
      await handle(orderPlaced(buyer, "", [sampleLine(1)]));
      expect(await storeOf().get(buyer)).toEqual(emptyCart);
    });

    it("ignores an event without a usable user id instead of retrying it forever", async () => {
      const bystander = newId();
      const cart = await storeOf().update(bystander, setLines([sampleLine(1)]));
      await expect(handle(orderPlaced("", cart.id, cart.lines))).resolves.toBeUndefined();
      await expect(handle(orderPlaced("u".repeat(129), cart.id, cart.lines))).resolves.toBeUndefined();
      expect(await storeOf().get(bystander)).toEqual(cart);
    });
  });
}

describe("taking an order out of the cart when it is placed", () => {
  let orders: TestProducer;
  let cart: TestCart;
  const prefix = `test:cart:${newId()}:`;
  let redis: Redis;
  let redisStore: RedisCartStore;

  beforeAll(async () => {
    orders = await startTestProducer("orders");
    cart = await startTestCart({ ORDERS_ADDR: orders.address });
    redis = new Redis(process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
    redisStore = new RedisCartStore(redis.duplicate(), { prefix, ttlMs: 60_000 });
  });

  afterAll(async () => {
    if (redis) {
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${prefix}*` })) keys.push(...(batch as string[]));
      if (keys.length > 0) await redis.del(...keys);
    }
    await redisStore?.close();
    await redis?.quit();
    await cart?.stop();
    await orders?.stop();
  });

  const inTx = <T>(work: (tx: never) => Promise<T>) => cart.service.db.tx((tx) => work(tx as never));
  takesOrders("with carts in PostgreSQL", () => cart.store, inTx);
  takesOrders("with carts in Redis", () => redisStore, inTx);

  it("keeps a PostgreSQL cart when the event's transaction rolls back, so the retry takes the order once", async () => {
    const buyer = newId();
    const ordered = await cart.store.update(buyer, setLines([sampleLine(1)]));
    const handler = takeOrderFromCart(cart.carts);
    const event = orderPlaced(buyer, ordered.id, ordered.lines);
    const failed = cart.service.db.tx(async (tx) => {
      await handler(event, tx);
      throw new Error("crashed before the inbox row committed");
    });
    await expect(failed).rejects.toThrow("crashed");
    expect(await cart.store.get(buyer)).toEqual(ordered);
    await cart.service.db.tx((tx) => handler(event, tx));
    expect(await cart.store.get(buyer)).toEqual(emptyCart);
  });

  it("applies an OrderPlaced from the orders service's outbox exactly once", async () => {
    const [buyer, other] = [newId(), newId()];
    const ordered = await cart.store.update(buyer, setLines([sampleLine(1), sampleLine(2)]));
    const inboxCount = async (eventId: string) => {
      const { rows } = await cart.service.db.query<{ count: bigint }>(
        "SELECT count(*) FROM inbox WHERE event_id = $1",
        [eventId],
      );
      return rows[0]?.count ?? 0n;
    };
    const first = await orders.publish(
      OrderPlacedSchema,
      orderPlaced(buyer, ordered.id, ordered.lines).data,
      newId(),
    );
    await waitFor("the cart to be emptied", async () => (await cart.store.get(buyer)).lines.length === 0);
    await waitFor("the event in the inbox", async () => (await inboxCount(first.id)) === 1n);

    // The buyer shops again; a later event for someone else must not re-apply the first one.
    await cart.store.update(buyer, setLines([sampleLine(3)]));
    const second = await orders.publish(OrderPlacedSchema, orderPlaced(other, newId(), []).data, newId());
    await waitFor("the second event in the inbox", async () => (await inboxCount(second.id)) === 1n);
    expect(await inboxCount(first.id)).toBe(1n);
    expect((await cart.store.get(buyer)).lines).toEqual([sampleLine(3)]);
  });
});
