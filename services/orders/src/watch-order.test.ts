import { OrderStatus, OrdersService, type WatchOrderResponse } from "@tessera/contracts/orders/v1";
import type { Client } from "@tessera/kit";
import { testCallers, testClient } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SagaInput } from "./saga.ts";
import { startTestOrders, type TestOrders } from "./testing/test-service.ts";
import { cart, mugs, t, tent, useOrdersWithCart } from "./testing/orders-with-cart.ts";

useOrdersWithCart();

/** A second replica of orders on the same database, with small stream caps. */
let replica: TestOrders;
beforeAll(async () => {
  replica = await startTestOrders({
    cartAddress: cart.address,
    database: t.database,
    env: { ORDERS_MAX_WATCHERS: "3", ORDERS_MAX_WATCHERS_PER_USER: "2" },
  });
});
afterAll(() => replica?.stop());

const clients: Client<typeof OrdersService>[] = [];
afterAll(() => clients.forEach((client) => client.close()));
const customer = (userId: string, address = t.rpcAddress) => {
  const client = testClient(OrdersService, address, testCallers.customer(userId));
  clients.push(client);
  return client;
};

let keys = 0;
async function place(userId: string) {
  cart.setCart(userId, [tent, mugs]);
  const { order } = await t.client.placeOrder({
    userId,
    idempotencyKey: `watch-${keys++}`,
    cardToken: "tok",
  });
  return order!;
}

/** Reads a stream in the background; `items` fills as they arrive, `ended` settles when it ends. */
function read(stream: AsyncIterable<WatchOrderResponse>) {
  const items: OrderStatus[] = [];
  const ended = (async () => {
    for await (const { order } of stream) items.push(order!.status);
  })();
  return { items, ended };
}

const advance = (orderId: string, input: SagaInput) =>
  t.service.db.tx((tx) => t.saga.advance(tx, orderId, input));

describe("WatchOrder", () => {
  it("sends the order at once, then each change, and ends after it is confirmed", async () => {
    const order = await place("alice");
    const watch = read(customer("alice").watchOrder({ userId: "alice", orderId: order.id }));
    await expect.poll(() => watch.items).toEqual([OrderStatus.PENDING]);
    await advance(order.id, { type: "StockReserved" });
    await expect.poll(() => watch.items).toEqual([OrderStatus.PENDING, OrderStatus.STOCK_RESERVED]);
    await advance(order.id, { type: "PaymentAuthorized", paymentId: "pay-1" });
    await watch.ended;
    expect(watch.items).toEqual([OrderStatus.PENDING, OrderStatus.STOCK_RESERVED, OrderStatus.CONFIRMED]);
    await expect.poll(() => t.watch.open).toBe(0);
  });

  it("tells a watcher on another replica of a change committed by this one", async () => {
    const order = await place("bob");
    const watch = read(customer("bob", replica.rpcAddress).watchOrder({ userId: "bob", orderId: order.id }));
    await expect.poll(() => watch.items).toEqual([OrderStatus.PENDING]);
    await customer("bob").cancelOrder({ userId: "bob", orderId: order.id });
    await watch.ended;
    expect(watch.items).toEqual([OrderStatus.PENDING, OrderStatus.CANCELLED]);
  });

  it("misses no change while its listener connection is lost", async () => {
    const order = await place("carol");
    const watch = read(customer("carol").watchOrder({ userId: "carol", orderId: order.id }));
    await expect.poll(() => watch.items).toEqual([OrderStatus.PENDING]);
    await t.service.db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'orders-watch' AND datname = current_database()",
    );
    await advance(order.id, { type: "StockRejected", reason: "short" });
    await watch.ended;
    expect(watch.items.at(-1)).toBe(OrderStatus.REJECTED);
  });

  it("sends a finished order once and ends", async () => {
    const order = await place("dave");
    await customer("dave").cancelOrder({ userId: "dave", orderId: order.id });
    const watch = read(customer("dave").watchOrder({ userId: "dave", orderId: order.id }));
    await watch.ended;
    expect(watch.items).toEqual([OrderStatus.CANCELLED]);
  });

  it("hides another user's order as GetOrder does", async () => {
    const order = await place("erin");
    const mallory = customer("mallory");
    await expect(
      read(mallory.watchOrder({ userId: "mallory", orderId: order.id })).ended,
    ).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(read(mallory.watchOrder({ userId: "erin", orderId: order.id })).ended).rejects.toMatchObject(
      {
        code: "permission_denied",
      },
    );
    await expect(read(mallory.watchOrder({ userId: "mallory", orderId: "42" })).ended).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });

  it("refuses streams past the caps, and frees a place when a stream is cancelled", async () => {
    const order = await place("frank");
    const other = await place("grace");
    const open = (userId: string, orderId: string) => {
      const abort = new AbortController();
      const watch = read(
        customer(userId, replica.rpcAddress).watchOrder({ userId, orderId }, { signal: abort.signal }),
      );
      return { ...watch, abort };
    };
    const first = open("frank", order.id);
    const second = open("frank", order.id);
    await expect.poll(() => first.items.length + second.items.length).toBe(2);
    await expect(open("frank", order.id).ended).rejects.toMatchObject({ code: "resource_exhausted" });

    const third = open("grace", other.id);
    await expect.poll(() => third.items.length).toBe(1);
    await expect(open("grace", other.id).ended).rejects.toMatchObject({ code: "resource_exhausted" });

    first.abort.abort();
    await first.ended;
    await expect.poll(() => replica.watch.open).toBe(2);
    expect(await replica.service.metrics.registry.metrics()).toMatch(/^orders_watch_streams\{[^}]*\} 2$/m);
    const again = open("grace", other.id);
    await expect.poll(() => again.items.length).toBe(1);
    for (const watch of [second, third, again]) watch.abort.abort();
    await Promise.all([second.ended, third.ended, again.ended]);
    await expect.poll(() => replica.watch.open).toBe(0);
  });

  it("ends the stream at the call's deadline", async () => {
    const order = await place("heidi");
    const watch = read(
      customer("heidi").watchOrder({ userId: "heidi", orderId: order.id }, { timeoutMs: 300 }),
    );
    await expect(watch.ended).rejects.toMatchObject({ code: "deadline_exceeded" });
    expect(watch.items).toEqual([OrderStatus.PENDING]);
    await expect.poll(() => t.watch.open).toBe(0);
  });
});
