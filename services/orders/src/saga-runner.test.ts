import { createDb, newId, type Db } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Order } from "./order.ts";
import { OrderStore } from "./order-store.ts";
import { SagaRunner } from "./saga-runner.ts";
import { startTestOrders, stepTimeoutMs, type TestOrders } from "./testing/test-service.ts";
import { sweepOverdue } from "./timeout-sweep.ts";

let t: TestOrders;

beforeAll(async () => {
  t = await startTestOrders({ cartAddress: "127.0.0.1:1" });
});

afterAll(async () => {
  await t?.stop();
});

async function place(userId = "user-1"): Promise<Order> {
  const order = await t.service.db.tx((tx) =>
    t.saga.start(
      tx,
      {
        id: newId(),
        userId,
        cartId: newId(),
        lines: [{ productId: "p1", sku: "TENT", name: "Tent", quantity: 2, unitPriceMinor: 2500n }],
        currency: "USD",
        totalMinor: 5000n,
        cardToken: "tok_approve",
      },
      newId(),
    ),
  );
  return order!;
}

const advance = (id: string, input: Parameters<SagaRunner["advance"]>[2]) =>
  t.service.db.tx((tx) => t.saga.advance(tx, id, input));

const outboxCount = async () =>
  (await t.service.db.query<{ count: bigint }>("SELECT count(*) FROM outbox")).rows[0]!.count;

describe("SagaRunner on PostgreSQL", () => {
  it("counts every transition in saga_transitions_total", async () => {
    const order = await place("counted");
    await advance(order.id, { type: "StockReserved" });
    const text = await t.service.metrics.registry.metrics();
    expect(text).toMatch(/saga_transitions_total\{from="",to="pending",input="PlaceOrder"[^}]*\} [1-9]/);
    expect(text).toMatch(
      /saga_transitions_total\{from="pending",to="stock_reserved",input="StockReserved"[^}]*\} [1-9]/,
    );
  });

  it("starts an order with its OrderPlaced and ReserveStock in the outbox", async () => {
    const order = await place();
    expect(order).toMatchObject({
      status: "PENDING",
      stock: "requested",
      version: 1,
      cardToken: "",
    });
    expect(await t.outbox(order.id)).toEqual([
      {
        type: "OrderPlaced",
        data: {
          orderId: order.id,
          userId: "user-1",
          total: { currencyCode: "USD", amountMinor: "5000" },
          cartId: order.cartId,
          items: [{ productId: "p1", quantity: 2 }],
        },
      },
      {
        type: "ReserveStock",
        data: {
          orderId: order.id,
          lines: [{ sku: "TENT", quantity: 2 }],
          expireAfterSeconds: (3 * stepTimeoutMs) / 1000,
          expireAfter: `${(3 * stepTimeoutMs) / 1000}s`,
        },
      },
      {
        type: "AuthorizePayment",
        data: {
          orderId: order.id,
          userId: "user-1",
          amount: { currencyCode: "USD", amountMinor: "5000" },
          cardToken: "tok_approve",
        },
      },
    ]);
  });

  it("commits a transition's new state and its outbox rows together", async () => {
    const order = await place();
    const reserved = await advance(order.id, { type: "StockReserved" });
    expect(reserved).toMatchObject({ status: "STOCK_RESERVED", version: 2 });
    expect(await t.store.get(order.id)).toMatchObject({ status: "STOCK_RESERVED", stock: "reserved" });
    const confirmed = await advance(order.id, { type: "PaymentAuthorized", paymentId: "pay-1" });
    expect(confirmed).toMatchObject({ status: "CONFIRMED", version: 3 });
    expect(await t.store.get(order.id)).toMatchObject({ status: "CONFIRMED", payment: "capturing" });
    expect((await t.outbox(order.id)).slice(-3).map((m) => m.type)).toEqual([
      "OrderConfirmed",
      "CapturePayment",
      "CommitStock",
    ]);
  });

  it("rolls back the state and the outbox rows together when the transaction fails", async () => {
    const order = await place();
    const before = await outboxCount();
    await expect(
      t.service.db.tx(async (tx) => {
        await t.saga.advance(tx, order.id, { type: "Cancel" });
        throw new Error("crash after the transition");
      }),
    ).rejects.toThrow("crash after the transition");
    expect(await t.store.get(order.id)).toMatchObject({ status: "PENDING", version: 1 });
    expect(await outboxCount()).toBe(before);
  });

  it("writes nothing for an input that changes nothing", async () => {
    const order = await place();
    await advance(order.id, { type: "StockReserved" });
    const before = await outboxCount();
    const again = await advance(order.id, { type: "StockReserved" });
    expect(again).toMatchObject({ status: "STOCK_RESERVED", version: 2 });
    expect(await outboxCount()).toBe(before);
  });

  it("refuses to save over a version it did not read", async () => {
    const order = await place();
    await advance(order.id, { type: "Cancel" });
    await expect(
      t.service.db.tx((tx) =>
        t.store.save(tx, { ...order, status: "CANCELLED", deadline: null, cardToken: "" }),
      ),
    ).rejects.toMatchObject({ code: "aborted", reason: "concurrent-change" });
  });

  it("answers undefined for an order that does not exist", async () => {
    expect(await advance(newId(), { type: "StockReserved" })).toBeUndefined();
  });
});

describe("the timeout sweep", () => {
  const overdue = async () =>
    (await t.service.db.query<{ count: bigint }>("SELECT count(*) FROM orders WHERE deadline IS NOT NULL"))
      .rows[0]!.count;

  it("leaves orders alone before their deadline", async () => {
    const order = await place();
    expect(await sweepOverdue(t.service.db, t.saga)).toBe(0);
    expect(await t.store.get(order.id)).toMatchObject({ status: "PENDING" });
  });

  it("times out each overdue order exactly once, even with two replicas sweeping at the same time", async () => {
    // Settle what earlier tests left waiting, so the count below is this test's own.
    t.clock.now = new Date(Date.now() + 10 * stepTimeoutMs);
    await sweepOverdue(t.service.db, t.saga, 1_000);
    t.clock.now = new Date();
    const orders = await Promise.all(Array.from({ length: 30 }, () => place("sweep-user")));
    const reserved = orders.filter((_, i) => i % 2 === 0);
    for (const order of reserved) await advance(order.id, { type: "StockReserved" });

    // Two replicas: two pools, two runners, the same database.
    t.clock.now = new Date(Date.now() + 3 * stepTimeoutMs);
    const replicas: Db[] = [
      createDb({ connectionString: t.database.url }),
      createDb({ connectionString: t.database.url }),
    ];
    try {
      const counts = await Promise.all(
        replicas.map((db) =>
          sweepOverdue(
            db,
            new SagaRunner({
              store: new OrderStore(db),
              publishAll: t.service.publishAll,
              stepTimeoutMs,
              now: () => t.clock.now,
            }),
            1_000,
          ),
        ),
      );
      expect(counts[0]! + counts[1]!).toBe(30);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
      t.clock.now = new Date();
    }

    expect(await overdue()).toBe(0n);
    for (const order of orders) {
      const types = (await t.outbox(order.id)).map((m) => m.type);
      const wasReserved = reserved.includes(order);
      expect(types.filter((type) => type === "OrderCancelled")).toHaveLength(1);
      expect(types.filter((type) => type === "ReleaseStock")).toHaveLength(wasReserved ? 1 : 0);
      expect(await t.store.get(order.id)).toMatchObject({
        status: "CANCELLED",
        stock: wasReserved ? "releasing" : "requested",
        reason: wasReserved
          ? "timed out waiting for the payment authorization"
          : "timed out waiting for the stock reservation",
      });
    }
  });

  it("runs in the background, as the wiring schedules it, until the service stops", async () => {
    // A service of its own, sweeping every 10 ms: this file's other tests sweep by hand.
    const swept = await startTestOrders({
      cartAddress: "127.0.0.1:1",
      env: { ORDERS_TIMEOUT_SWEEP_MS: "10" },
    });
    const db = createDb({ connectionString: swept.database.url, max: 1 });
    try {
      const placeOn = async () =>
        (await swept.service.db.tx((tx) =>
          swept.saga.start(
            tx,
            {
              id: newId(),
              userId: "background",
              cartId: newId(),
              lines: [{ productId: "p1", sku: "TENT", name: "Tent", quantity: 1, unitPriceMinor: 2500n }],
              currency: "USD",
              totalMinor: 2500n,
              cardToken: "tok_approve",
            },
            newId(),
          ),
        ))!;
      const statusOf = async (id: string) =>
        (await db.query<{ status: string }>("SELECT status FROM orders WHERE id = $1", [id])).rows[0]?.status;

      const order = await placeOn();
      swept.clock.now = new Date(Date.now() + 2 * stepTimeoutMs);
      await expect.poll(() => statusOf(order.id), { timeout: 10_000 }).toBe("CANCELLED");

      swept.clock.now = new Date();
      const stopped = await placeOn();
      await swept.service.stop();
      swept.clock.now = new Date(Date.now() + 2 * stepTimeoutMs);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await statusOf(stopped.id)).toBe("PENDING");
    } finally {
      await db.close();
      await swept.stop();
    }
  });
});
