import { publishedAbout, receivedEvent } from "@tessera/kit/testing";
import { ReserveStockSchema } from "@tessera/contracts/orders/v1";
import { createDb, newId, publish, type Db } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sagaCommandHandler } from "./event-handlers.ts";
import { Reservations } from "./reservations.ts";
import { StockStore } from "./stock-store.ts";
import { startTestInventory, type TestInventory } from "./testing/test-service.ts";

const racers = 50;

describe("concurrent checkouts on PostgreSQL", () => {
  let inventory: TestInventory;
  // A pool with a connection per racer, so all 50 transactions really run at once.
  let db: Db;
  let handle: ReturnType<typeof sagaCommandHandler>;
  let store: StockStore;

  beforeAll(async () => {
    inventory = await startTestInventory();
    db = createDb({ connectionString: inventory.database.url, max: racers });
    store = new StockStore(db);
    const reservations = new Reservations({
      db,
      store,
      publish: (tx, schema, data, meta) => publish(tx, "inventory", schema, data, meta),
      log: inventory.service.log,
      defaultTtlSeconds: 900,
    });
    handle = sagaCommandHandler(reservations);
  });

  afterAll(async () => {
    await db?.close();
    await inventory?.close();
  });

  /** Every racer in its own transaction, started together; each must finish without an error. */
  const race = async (orders: { orderId: string; lines: { sku: string; quantity: number }[] }[]) => {
    const results = await Promise.allSettled(
      orders.map(({ orderId, lines }) =>
        db.tx((tx) => handle(receivedEvent(ReserveStockSchema, { orderId, lines }, orderId), tx)),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
  };

  const outcomes = async (orderIds: string[]) => {
    const types = await Promise.all(
      orderIds.map(async (id) => (await publishedAbout(db, id)).map((e) => e.type).join(",")),
    );
    return {
      reserved: types.filter((t) => t === "StockReserved").length,
      rejected: types.filter((t) => t === "StockRejected").length,
    };
  };

  it("gives the last unit to exactly one of 50 checkouts racing for it, and never goes negative", async () => {
    await db.tx((tx) => store.createStock(tx, "LAST-UNIT", 1n));
    const orderIds = Array.from({ length: racers }, () => newId());
    // Watch the counters from outside while the race runs.
    const seen: bigint[] = [];
    let racing = true;
    const watcher = (async () => {
      while (racing) {
        const [level] = await inventory.store.stockOf(["LAST-UNIT"]);
        seen.push(level!.onHand - level!.reserved);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    try {
      await race(orderIds.map((orderId) => ({ orderId, lines: [{ sku: "LAST-UNIT", quantity: 1 }] })));
    } finally {
      racing = false;
      await watcher;
    }

    expect(await outcomes(orderIds)).toEqual({ reserved: 1, rejected: racers - 1 });
    expect(await inventory.store.stockOf(["LAST-UNIT"])).toEqual([
      { sku: "LAST-UNIT", onHand: 1n, reserved: 1n, committed: 0n, received: 1n },
    ]);
    const held = await inventory.store.listReservations({ status: "HELD", after: undefined, limit: 10_000 });
    expect(held.filter((r) => r.lines.some((l) => l.sku === "LAST-UNIT"))).toHaveLength(1);
    expect(seen.every((available) => available >= 0n)).toBe(true);
  });

  it("neither deadlocks nor oversells when orders lock the same SKUs listed in opposite orders", async () => {
    await db.tx(async (tx) => {
      await store.createStock(tx, "CROSS-A", 20n);
      await store.createStock(tx, "CROSS-B", 20n);
    });
    const orders = Array.from({ length: racers }, (_, i) => ({
      orderId: newId(),
      lines:
        i % 2 === 0
          ? [
              { sku: "CROSS-A", quantity: 1 },
              { sku: "CROSS-B", quantity: 1 },
            ]
          : [
              { sku: "CROSS-B", quantity: 1 },
              { sku: "CROSS-A", quantity: 1 },
            ],
    }));
    await race(orders);

    expect(await outcomes(orders.map((o) => o.orderId))).toEqual({ reserved: 20, rejected: racers - 20 });
    const levels = await inventory.store.stockOf(["CROSS-A", "CROSS-B"]);
    expect(levels.map((l) => [l.sku, l.onHand, l.reserved])).toEqual([
      ["CROSS-A", 20n, 20n],
      ["CROSS-B", 20n, 20n],
    ]);
  });
});
