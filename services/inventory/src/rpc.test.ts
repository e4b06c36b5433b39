import { receivedEvent, testCallers, testClient } from "@tessera/kit/testing";
import { InventoryService, ReservationStatus } from "@tessera/contracts/inventory/v1";
import { CommitStockSchema, ReserveStockSchema } from "@tessera/contracts/orders/v1";
import { createClient, listAll, newId, type Client } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sagaCommandHandler } from "./event-handlers.ts";
import { startTestInventory, type TestInventory } from "./testing/test-service.ts";

describe("inventory over gRPC on PostgreSQL", () => {
  let inventory: TestInventory;
  let client: Client<typeof InventoryService>;

  beforeAll(async () => {
    inventory = await startTestInventory({ env: { INVENTORY_INITIAL_STOCK: "25" } });
    // An operator's client (the checker's kind): restocks and lists everything.
    client = testClient(InventoryService, `127.0.0.1:${inventory.rpcPort}`, testCallers.operator);
    await inventory.db.tx(async (tx) => {
      for (const sku of ["TENT-2P", "BAG-0C", "STOVE-1"]) await inventory.admin.seed(tx, sku);
    });
  });

  afterAll(async () => {
    client?.close();
    await inventory?.close();
  });

  const allReservations = (status: ReservationStatus = ReservationStatus.UNSPECIFIED) =>
    listAll(
      (page) => client.listReservations({ ...page, status }),
      (response) => response.reservations,
    );

  const handle = (event: Parameters<ReturnType<typeof sagaCommandHandler>>[0]) =>
    inventory.db.tx((tx) => sagaCommandHandler(inventory.reservations)(event, tx));

  it("returns the stock of the SKUs asked for and leaves unknown ones out", async () => {
    const { stock } = await client.getStock({ skus: ["TENT-2P", "NOT-STOCKED", "BAG-0C"] });
    expect(stock.map((s) => [s.sku, s.onHand, s.available])).toEqual([
      ["BAG-0C", 25n, 25n],
      ["TENT-2P", 25n, 25n],
    ]);
    expect((await client.getStock({ skus: [] })).stock).toEqual([]);
  });

  it("adds a restock once, however often the same idempotency key is sent", async () => {
    const request = { sku: "STOVE-1", quantity: 5n, idempotencyKey: newId() };
    const first = await client.restock(request);
    const again = await client.restock(request);
    expect(first.stock).toMatchObject({ sku: "STOVE-1", onHand: 30n, received: 30n, available: 30n });
    expect(again.stock).toEqual(first.stock);
    await client.restock({ ...request, idempotencyKey: newId() });
    const { stock } = await client.getStock({ skus: ["STOVE-1"] });
    expect(stock[0]).toMatchObject({ onHand: 35n, received: 35n });
  });

  it("refuses an idempotency key reused for a different restock", async () => {
    const idempotencyKey = newId();
    await client.restock({ sku: "STOVE-1", quantity: 1n, idempotencyKey });
    await expect(client.restock({ sku: "STOVE-1", quantity: 2n, idempotencyKey })).rejects.toMatchObject({
      code: "failed_precondition",
    });
    await expect(client.restock({ sku: "BAG-0C", quantity: 1n, idempotencyKey })).rejects.toMatchObject({
      code: "failed_precondition",
    });
  });

  it("starts the stock of a SKU it did not know with its first restock", async () => {
    const { stock } = await client.restock({ sku: "LANTERN-9", quantity: 7n, idempotencyKey: newId() });
    expect(stock).toMatchObject({ sku: "LANTERN-9", onHand: 7n, reserved: 0n, committed: 0n, received: 7n });
  });

  it("lists every SKU with counters that add up after reserving and committing", async () => {
    const committed = newId();
    const held = newId();
    await handle(
      receivedEvent(
        ReserveStockSchema,
        { orderId: committed, lines: [{ sku: "TENT-2P", quantity: 3 }] },
        committed,
      ),
    );
    await handle(receivedEvent(CommitStockSchema, { orderId: committed }, committed));
    await handle(
      receivedEvent(
        ReserveStockSchema,
        {
          orderId: held,
          lines: [
            { sku: "TENT-2P", quantity: 2 },
            { sku: "BAG-0C", quantity: 4 },
          ],
        },
        held,
      ),
    );

    const stock = await listAll(
      (page) => client.listStock(page),
      (response) => response.stock,
    );
    const tent = stock.find((s) => s.sku === "TENT-2P");
    expect(tent).toMatchObject({ onHand: 22n, reserved: 2n, available: 20n, committed: 3n, received: 25n });
    for (const level of stock) {
      expect(level.received).toBe(level.onHand + level.committed);
      expect(level.available).toBe(level.onHand - level.reserved);
    }

    // reserved = the sum of the HELD reservations' lines, per SKU.
    const reservations = await allReservations(ReservationStatus.HELD);
    const heldUnits = new Map<string, bigint>();
    for (const reservation of reservations) {
      for (const line of reservation.lines) {
        heldUnits.set(line.sku, (heldUnits.get(line.sku) ?? 0n) + BigInt(line.quantity));
      }
    }
    for (const level of stock) expect(level.reserved).toBe(heldUnits.get(level.sku) ?? 0n);
  });

  it("lists reservations with their status, lines and expiry, optionally of one status", async () => {
    const reservations = await allReservations();
    const statuses = new Set(reservations.map((r) => r.status));
    expect(statuses).toEqual(new Set([ReservationStatus.HELD, ReservationStatus.COMMITTED]));
    const committed = await client.listReservations({ status: ReservationStatus.COMMITTED });
    expect(committed.reservations).toHaveLength(1);
    expect(committed.reservations[0]).toMatchObject({ lines: [{ sku: "TENT-2P", quantity: 3 }] });
    expect(committed.reservations[0]?.expireTime?.seconds).toBeGreaterThan(0n);
  });

  it("does not list a rejected order as a reservation", async () => {
    const orderId = newId();
    await handle(
      receivedEvent(ReserveStockSchema, { orderId, lines: [{ sku: "TENT-2P", quantity: 1_000 }] }, orderId),
    );
    const reservations = await allReservations();
    expect(reservations.map((r) => r.orderId)).not.toContain(orderId);
  });

  it.each([
    ["a zero quantity", { sku: "TENT-2P", quantity: 0n }],
    ["a negative quantity", { sku: "TENT-2P", quantity: -5n }],
    ["a huge quantity", { sku: "TENT-2P", quantity: 1_000_000_000_000n }],
    ["an empty SKU", { sku: "", quantity: 1n }],
    ["a malformed SKU", { sku: "tent 2p; DROP TABLE stock", quantity: 1n }],
    ["no idempotency key", { sku: "TENT-2P", quantity: 1n, idempotencyKey: "" }],
    ["an oversized idempotency key", { sku: "TENT-2P", quantity: 1n, idempotencyKey: "k".repeat(201) }],
  ])("refuses a restock with %s as invalid_argument", async (_, request) => {
    await expect(client.restock({ idempotencyKey: newId(), ...request })).rejects.toMatchObject({
      code: "invalid_argument",
    });
    const { stock } = await client.getStock({ skus: ["TENT-2P"] });
    expect(stock[0]?.received).toBe(25n);
  });

  it.each([
    ["an empty SKU", { skus: [""] }],
    ["too many SKUs", { skus: Array.from({ length: 501 }, (_, i) => `SKU-${i}`) }],
  ])("refuses GetStock with %s as invalid_argument", async (_, request) => {
    await expect(client.getStock(request)).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("refuses an unknown reservation status as invalid_argument", async () => {
    await expect(client.listReservations({ status: 99 as ReservationStatus })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });

  it("refuses a customer restocking or listing the stock, and a call without a token", async () => {
    const customer = testClient(InventoryService, inventory.address, testCallers.customer("alice"));
    const bare = createClient(InventoryService, inventory.address);
    try {
      const restock = { sku: "TENT-2P", quantity: 1n, idempotencyKey: newId() };
      await expect(customer.restock(restock)).rejects.toMatchObject({ code: "permission_denied" });
      await expect(customer.listStock({})).rejects.toMatchObject({ code: "permission_denied" });
      expect((await customer.getStock({ skus: ["TENT-2P"] })).stock[0]?.received).toBe(25n);
      await expect(bare.getStock({ skus: ["TENT-2P"] })).rejects.toMatchObject({ code: "unauthenticated" });
    } finally {
      customer.close();
      bare.close();
    }
  });
});
