import { publishedAbout, receivedEvent } from "@tessera/kit/testing";
import { ProductChangedSchema } from "@tessera/contracts/catalog/v1";
import { CommitStockSchema, ReleaseStockSchema, ReserveStockSchema } from "@tessera/contracts/orders/v1";
import { newId } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { productChangedHandler, sagaCommandHandler } from "./event-handlers.ts";
import { startTestInventory, type TestInventory } from "./testing/test-service.ts";

let inventory: TestInventory;
let handle: ReturnType<typeof sagaCommandHandler>;
let skuCount = 0;

beforeAll(async () => {
  inventory = await startTestInventory({ env: { INVENTORY_INITIAL_STOCK: "10" } });
  handle = sagaCommandHandler(inventory.reservations);
});

afterAll(async () => {
  await inventory?.close();
});

/** A SKU of its own for each test, with `units` in stock. */
async function givenStock(units: number): Promise<string> {
  const sku = `SKU-${++skuCount}-${Date.now().toString(36).toUpperCase()}`;
  await inventory.db.tx((tx) => inventory.store.createStock(tx, sku, BigInt(units)));
  return sku;
}

const level = async (sku: string) => (await inventory.store.stockOf([sku]))[0];
const reservationOf = (orderId: string) => inventory.db.tx((tx) => inventory.store.reservation(tx, orderId));

const reserve = (orderId: string, lines: { sku: string; quantity: number }[], expireAfterSeconds = 0) =>
  inventory.db.tx((tx) =>
    handle(receivedEvent(ReserveStockSchema, { orderId, lines, expireAfterSeconds }, orderId), tx),
  );
const release = (orderId: string) =>
  inventory.db.tx((tx) =>
    handle(receivedEvent(ReleaseStockSchema, { orderId, reason: "payment declined" }, orderId), tx),
  );
const commit = (orderId: string) =>
  inventory.db.tx((tx) => handle(receivedEvent(CommitStockSchema, { orderId }, orderId), tx));

describe("ReserveStock", () => {
  it("holds every line and publishes StockReserved when every SKU has the units", async () => {
    const [tent, bag] = [await givenStock(5), await givenStock(3)];
    const orderId = newId();
    await reserve(orderId, [
      { sku: tent, quantity: 2 },
      { sku: bag, quantity: 3 },
    ]);
    expect(await level(tent)).toMatchObject({ onHand: 5n, reserved: 2n });
    expect(await level(bag)).toMatchObject({ onHand: 3n, reserved: 3n });
    expect(await publishedAbout(inventory.db, orderId)).toEqual([
      { type: "StockReserved", data: { orderId } },
    ]);
    const reservation = await reservationOf(orderId);
    expect(reservation?.status).toBe("HELD");
    expect(reservation?.lines).toHaveLength(2);
    // The default hold: INVENTORY_RESERVATION_TTL_SECONDS, 15 minutes.
    expect(reservation!.expiresAt.getTime() - inventory.clock.now().getTime()).toBe(900_000);
  });

  it("holds nothing and publishes StockRejected naming the short SKU when one line lacks units", async () => {
    const [tent, bag] = [await givenStock(5), await givenStock(1)];
    const orderId = newId();
    await reserve(orderId, [
      { sku: tent, quantity: 2 },
      { sku: bag, quantity: 2 },
    ]);
    expect(await level(tent)).toMatchObject({ reserved: 0n });
    expect(await level(bag)).toMatchObject({ reserved: 0n });
    const events = await publishedAbout(inventory.db, orderId);
    expect(events).toEqual([
      { type: "StockRejected", data: { orderId, reason: expect.stringContaining(bag) } },
    ]);
    expect(JSON.stringify(events[0]?.data)).not.toContain(tent);
  });

  it("rejects an order naming an unknown SKU", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [
      { sku: tent, quantity: 1 },
      { sku: "NO-SUCH-SKU", quantity: 1 },
    ]);
    expect(await level(tent)).toMatchObject({ reserved: 0n });
    expect(await publishedAbout(inventory.db, orderId)).toEqual([
      {
        type: "StockRejected",
        data: { orderId, reason: expect.stringMatching(/NO-SUCH-SKU \(unknown SKU\)/) },
      },
    ]);
  });

  it.each([
    ["a zero quantity", 0],
    ["a negative quantity", -3],
  ])("rejects a line with %s without holding anything", async (_, quantity) => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity }]);
    expect(await level(tent)).toMatchObject({ reserved: 0n });
    expect((await publishedAbout(inventory.db, orderId))[0]?.type).toBe("StockRejected");
  });

  it("holds for the time the command asks for", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 1 }], 60);
    const reservation = await reservationOf(orderId);
    expect(reservation!.expiresAt.getTime() - inventory.clock.now().getTime()).toBe(60_000);
  });

  it("answers a repeated ReserveStock again without holding the units twice", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 2 }]);
    await reserve(orderId, [{ sku: tent, quantity: 2 }]);
    expect(await level(tent)).toMatchObject({ onHand: 5n, reserved: 2n });
    const types = (await publishedAbout(inventory.db, orderId)).map((e) => e.type);
    expect(types).toEqual(["StockReserved", "StockReserved"]);
  });

  it("answers a repeated ReserveStock of a rejected order with the same rejection, even after a restock", async () => {
    const tent = await givenStock(1);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 2 }]);
    await inventory.admin.restock({ sku: tent, quantity: 10n, idempotencyKey: newId() });
    await reserve(orderId, [{ sku: tent, quantity: 2 }]);
    expect(await level(tent)).toMatchObject({ onHand: 11n, reserved: 0n });
    const events = await publishedAbout(inventory.db, orderId);
    expect(events.map((e) => e.type)).toEqual(["StockRejected", "StockRejected"]);
    expect(events[1]?.data).toEqual(events[0]?.data);
  });

  it("refuses a command without an order id, so it is retried and dead-lettered rather than lost", async () => {
    const tent = await givenStock(5);
    await expect(reserve("", [{ sku: tent, quantity: 1 }])).rejects.toMatchObject({
      code: "invalid_argument",
    });
    expect(await level(tent)).toMatchObject({ reserved: 0n });
  });
});

describe("ReleaseStock", () => {
  it("gives held units back once and publishes StockReleased", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 4 }]);
    await release(orderId);
    await release(orderId);
    expect(await level(tent)).toMatchObject({ onHand: 5n, reserved: 0n });
    expect((await reservationOf(orderId))?.status).toBe("RELEASED");
    const types = (await publishedAbout(inventory.db, orderId)).map((e) => e.type);
    expect(types).toEqual(["StockReserved", "StockReleased"]);
  });

  it("does nothing for an unknown order, and a late ReserveStock for it holds nothing", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await release(orderId);
    await reserve(orderId, [{ sku: tent, quantity: 1 }]);
    expect(await level(tent)).toMatchObject({ reserved: 0n });
    expect(await publishedAbout(inventory.db, orderId)).toEqual([]);
  });

  it("leaves a committed reservation committed", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 2 }]);
    await commit(orderId);
    await release(orderId);
    expect(await level(tent)).toMatchObject({ onHand: 3n, reserved: 0n, committed: 2n });
    expect((await reservationOf(orderId))?.status).toBe("COMMITTED");
  });
});

describe("CommitStock", () => {
  it("moves held units out of the stock once and publishes StockCommitted", async () => {
    const [tent, bag] = [await givenStock(5), await givenStock(7)];
    const orderId = newId();
    await reserve(orderId, [
      { sku: tent, quantity: 2 },
      { sku: bag, quantity: 7 },
    ]);
    await commit(orderId);
    await commit(orderId);
    expect(await level(tent)).toEqual({ sku: tent, onHand: 3n, reserved: 0n, committed: 2n, received: 5n });
    expect(await level(bag)).toEqual({ sku: bag, onHand: 0n, reserved: 0n, committed: 7n, received: 7n });
    const types = (await publishedAbout(inventory.db, orderId)).map((e) => e.type);
    expect(types).toEqual(["StockReserved", "StockCommitted"]);
  });

  it("commits nothing for an unknown or released order", async () => {
    const tent = await givenStock(5);
    const released = newId();
    await reserve(released, [{ sku: tent, quantity: 2 }]);
    await release(released);
    await commit(released);
    const unknown = newId();
    await commit(unknown);
    expect(await level(tent)).toMatchObject({ onHand: 5n, reserved: 0n, committed: 0n });
    expect(await publishedAbout(inventory.db, unknown)).toEqual([]);
  });
});

describe("expiry", () => {
  it("releases a hold once its time is up and publishes StockReleased so the saga knows", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 3 }], 60);
    inventory.clock.advance(59_000);
    await inventory.reservations.expireDue();
    expect((await reservationOf(orderId))?.status).toBe("HELD");
    inventory.clock.advance(1_000);
    expect(await inventory.reservations.expireDue()).toBeGreaterThanOrEqual(1);
    expect((await reservationOf(orderId))?.status).toBe("EXPIRED");
    expect(await level(tent)).toMatchObject({ onHand: 5n, reserved: 0n });
    const types = (await publishedAbout(inventory.db, orderId)).map((e) => e.type);
    expect(types).toEqual(["StockReserved", "StockReleased"]);
  });

  it("commits nothing when CommitStock arrives after the sweep expired the hold", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 3 }], 1);
    inventory.clock.advance(1_000);
    await inventory.reservations.expireDue();
    await commit(orderId);
    expect(await level(tent)).toMatchObject({ onHand: 5n, reserved: 0n, committed: 0n });
    const types = (await publishedAbout(inventory.db, orderId)).map((e) => e.type);
    expect(types).toEqual(["StockReserved", "StockReleased"]);
  });

  it("releases instead of committing when CommitStock arrives after the expiry time, before the sweep", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 3 }], 1);
    inventory.clock.advance(5_000);
    await commit(orderId);
    expect((await reservationOf(orderId))?.status).toBe("EXPIRED");
    expect(await level(tent)).toMatchObject({ onHand: 5n, reserved: 0n, committed: 0n });
    const types = (await publishedAbout(inventory.db, orderId)).map((e) => e.type);
    expect(types).toEqual(["StockReserved", "StockReleased"]);
  });

  it("does not release a committed reservation when its time is up", async () => {
    const tent = await givenStock(5);
    const orderId = newId();
    await reserve(orderId, [{ sku: tent, quantity: 3 }], 1);
    await commit(orderId);
    inventory.clock.advance(5_000);
    await inventory.reservations.expireDue();
    expect((await reservationOf(orderId))?.status).toBe("COMMITTED");
    expect(await level(tent)).toMatchObject({ onHand: 2n, reserved: 0n, committed: 3n });
  });
});

describe("ProductChanged", () => {
  const productChanged = (sku: string, created: boolean) => {
    const productId = newId();
    const price = { currencyCode: "USD", amountMinor: 1999n };
    return receivedEvent(ProductChangedSchema, { productId, sku, name: "Tent", price, created }, productId);
  };
  const apply = (event: ReturnType<typeof productChanged>) =>
    inventory.db.tx((tx) => productChangedHandler(inventory.admin)(event, tx));

  it("seeds a created product's SKU with the initial stock", async () => {
    await apply(productChanged("NEW-TENT-1", true));
    expect(await level("NEW-TENT-1")).toEqual({
      sku: "NEW-TENT-1",
      onHand: 10n,
      reserved: 0n,
      committed: 0n,
      received: 10n,
    });
  });

  it("never resets stock: a repeated created event or a price change leaves it as it is", async () => {
    await apply(productChanged("NEW-TENT-2", true));
    const orderId = newId();
    await reserve(orderId, [{ sku: "NEW-TENT-2", quantity: 4 }]);
    await commit(orderId);
    await apply(productChanged("NEW-TENT-2", true));
    await apply(productChanged("NEW-TENT-2", false));
    expect(await level("NEW-TENT-2")).toMatchObject({ onHand: 6n, committed: 4n, received: 10n });
  });

  it("creates no stock on a price change of a product it never saw created", async () => {
    await apply(productChanged("NEW-TENT-3", false));
    expect(await level("NEW-TENT-3")).toBeUndefined();
  });
});
