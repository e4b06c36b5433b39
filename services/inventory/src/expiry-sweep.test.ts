import { publishedAbout, receivedEvent } from "@tessera/kit/testing";
import { ReserveStockSchema, type ReserveStock } from "@tessera/contracts/orders/v1";
import { createDb, newId } from "@tessera/kit";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sagaCommandHandler } from "./event-handlers.ts";
import { startTestInventory, type TestInventory } from "./testing/test-service.ts";

describe("the background expiry sweep", () => {
  let inventory: TestInventory;

  beforeAll(async () => {
    // The wiring's sweep, every 50 ms, in batches of two: it keeps going while whole batches come back.
    inventory = await startTestInventory({ env: { INVENTORY_SWEEP_INTERVAL_MS: "50" }, sweepBatchSize: 2 });
  });

  afterAll(async () => {
    await inventory?.close();
  });

  /** Reserves with the hold as orders writes it: a Duration, and the deprecated seconds beside it. */
  const reserveFor = async (
    seconds: number,
    hold: Partial<Pick<ReserveStock, "expireAfterSeconds">> = {},
  ) => {
    const orderId = newId();
    const command = {
      orderId,
      lines: [{ sku: "SWEPT", quantity: 1 }],
      expireAfter: { seconds: BigInt(seconds) },
      expireAfterSeconds: seconds,
      ...hold,
    };
    await inventory.db.tx((tx) =>
      sagaCommandHandler(inventory.reservations)(receivedEvent(ReserveStockSchema, command, orderId), tx),
    );
    return orderId;
  };
  /** Reserves as a command written before `expire_after` existed: the seconds alone. */
  const reserveOldStyleFor = async (seconds: number) => {
    const orderId = newId();
    const command = { orderId, lines: [{ sku: "SWEPT", quantity: 1 }], expireAfterSeconds: seconds };
    await inventory.db.tx((tx) =>
      sagaCommandHandler(inventory.reservations)(receivedEvent(ReserveStockSchema, command, orderId), tx),
    );
    return orderId;
  };
  const statusOf = async (orderId: string) =>
    (await inventory.db.tx((tx) => inventory.store.reservation(tx, orderId)))?.status;

  it("releases expired holds on its own, publishing StockReleased, and leaves live ones held", async () => {
    await inventory.db.tx((tx) => inventory.store.createStock(tx, "SWEPT", 10n));
    // expire_after wins over the deprecated seconds; a command without it falls back to them.
    const expiring = await Promise.all([
      reserveFor(1),
      reserveFor(1, { expireAfterSeconds: 600 }),
      reserveOldStyleFor(1),
    ]);
    const live = await reserveFor(600, { expireAfterSeconds: 1 });
    inventory.clock.advance(2_000);

    await expect
      .poll(async () => Promise.all(expiring.map(statusOf)), { timeout: 10_000, interval: 20 })
      .toEqual(["EXPIRED", "EXPIRED", "EXPIRED"]);
    for (const orderId of expiring) {
      expect((await publishedAbout(inventory.db, orderId)).map((e) => e.type)).toEqual([
        "StockReserved",
        "StockReleased",
      ]);
    }
    expect(await statusOf(live)).toBe("HELD");
    expect(await inventory.store.stockOf(["SWEPT"])).toMatchObject([{ onHand: 10n, reserved: 1n }]);
    const metrics = await inventory.service.metrics.registry.metrics();
    expect(metrics).toMatch(/periodic_job_runs_total\{[^}]*job="expiry-sweep"[^}]*outcome="ok"[^}]*\} [1-9]/);
  });

  it("runs no more once the service stopped", async () => {
    const orderId = await reserveFor(1);
    await inventory.service.stop();
    inventory.clock.advance(2_000);
    await sleep(200);
    const db = createDb({ connectionString: inventory.database.url, max: 1 });
    try {
      const { rows } = await db.query<{ status: string }>(
        "SELECT status FROM reservations WHERE order_id = $1",
        [orderId],
      );
      expect(rows).toEqual([{ status: "HELD" }]);
    } finally {
      await db.close();
    }
  });
});
