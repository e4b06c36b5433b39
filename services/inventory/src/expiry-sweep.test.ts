import { ReserveStockSchema } from "@tessera/contracts/orders/v1";
import { newId } from "@tessera/kit";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sagaCommandHandler } from "./event-handlers.ts";
import { startExpirySweep } from "./expiry-sweep.ts";
import { publishedAbout, received, startTestInventory, type TestInventory } from "./test-inventory.ts";

describe("the background expiry sweep", () => {
  let inventory: TestInventory;

  beforeAll(async () => {
    inventory = await startTestInventory();
  });

  afterAll(async () => {
    await inventory?.close();
  });

  const reserveFor = async (seconds: number) => {
    const orderId = newId();
    await inventory.db.tx((tx) =>
      sagaCommandHandler(inventory.reservations)(
        received(
          ReserveStockSchema,
          { orderId, lines: [{ sku: "SWEPT", quantity: 1 }], expireAfterSeconds: seconds },
          orderId,
        ),
        tx,
      ),
    );
    return orderId;
  };
  const statusOf = async (orderId: string) =>
    (await inventory.db.tx((tx) => inventory.store.reservation(tx, orderId)))?.status;

  it("releases expired holds on its own, publishing StockReleased, and leaves live ones held", async () => {
    await inventory.db.tx((tx) => inventory.store.createStock(tx, "SWEPT", 10n));
    const expiring = await Promise.all([reserveFor(1), reserveFor(1), reserveFor(1)]);
    const live = await reserveFor(600);
    inventory.clock.advance(2_000);

    // A batch of two: the sweep keeps going while whole batches come back.
    const sweep = startExpirySweep({
      reservations: inventory.reservations,
      intervalMs: 20,
      log: inventory.service.log,
      batchSize: 2,
    });
    try {
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const statuses = await Promise.all(expiring.map(statusOf));
        if (statuses.every((status) => status === "EXPIRED")) break;
        await sleep(20);
      }
    } finally {
      await sweep.stop();
    }

    for (const orderId of expiring) {
      expect(await statusOf(orderId)).toBe("EXPIRED");
      expect((await publishedAbout(inventory.db, orderId)).map((e) => e.type)).toEqual([
        "StockReserved",
        "StockReleased",
      ]);
    }
    expect(await statusOf(live)).toBe("HELD");
    expect(await inventory.store.stockOf(["SWEPT"])).toMatchObject([{ onHand: 10n, reserved: 1n }]);
  });

  it("runs no more once stopped", async () => {
    const orderId = await reserveFor(1);
    const sweep = startExpirySweep({
      reservations: inventory.reservations,
      intervalMs: 20,
      log: inventory.service.log,
    });
    await sweep.stop();
    inventory.clock.advance(2_000);
    await sleep(100);
    expect(await statusOf(orderId)).toBe("HELD");
  });
});
