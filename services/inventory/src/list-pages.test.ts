import { InventoryService, ReservationStatus } from "@tessera/contracts/inventory/v1";
import { CommitStockSchema, ReserveStockSchema } from "@tessera/contracts/orders/v1";
import { listAll, newId, type Client } from "@tessera/kit";
import { receivedEvent, testCallers, testClient } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sagaCommandHandler } from "./event-handlers.ts";
import { startTestInventory, type TestInventory } from "./testing/test-service.ts";

describe("ListStock and ListReservations pages (AIP-158)", () => {
  let inventory: TestInventory;
  let client: Client<typeof InventoryService>;
  const skus = Array.from({ length: 105 }, (_, i) => `PAGE-${String(i).padStart(3, "0")}`);
  const committed = new Set<string>();

  beforeAll(async () => {
    inventory = await startTestInventory({ env: { INVENTORY_INITIAL_STOCK: "5" } });
    client = testClient(InventoryService, inventory.address, testCallers.operator);
    await inventory.db.tx(async (tx) => {
      for (const sku of skus) await inventory.admin.seed(tx, sku);
    });
    const handle = sagaCommandHandler(inventory.reservations);
    for (const [i, sku] of skus.entries()) {
      const orderId = newId();
      await inventory.db.tx(async (tx) => {
        await handle(
          receivedEvent(ReserveStockSchema, { orderId, lines: [{ sku, quantity: 1 }] }, orderId),
          tx,
        );
        if (i % 3 === 0) {
          await handle(receivedEvent(CommitStockSchema, { orderId }, orderId), tx);
          committed.add(orderId);
        }
      });
    }
  });

  afterAll(async () => {
    client?.close();
    await inventory?.close();
  });

  it("covers every SKU exactly once, in SKU order, at most page_size a page", async () => {
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await client.listStock({ pageSize: 8, pageToken });
      expect(page.stock.length).toBeLessThanOrEqual(8);
      seen.push(...page.stock.map((level) => level.sku));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen).toEqual(skus);
    expect(
      await listAll(
        (page) => client.listStock(page),
        (response) => response.stock,
      ),
    ).toHaveLength(105);
  });

  it("covers every reservation exactly once, of one status or all, in order id order", async () => {
    const ids = async (status: ReservationStatus, pageSize: number) => {
      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await client.listReservations({ status, pageSize, pageToken });
        expect(page.reservations.length).toBeLessThanOrEqual(pageSize);
        expect(page.reservations.every((r) => status === 0 || r.status === status)).toBe(true);
        seen.push(...page.reservations.map((r) => r.orderId));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      return seen;
    };
    const all = await ids(ReservationStatus.UNSPECIFIED, 11);
    expect(all).toHaveLength(105);
    expect(all).toEqual([...new Set(all)].sort());
    expect(new Set(await ids(ReservationStatus.COMMITTED, 4))).toEqual(committed);
    expect(await ids(ReservationStatus.HELD, 100)).toHaveLength(105 - committed.size);
  });

  it("reduces a page size above 100 to 100 and serves 20 when none is named", async () => {
    expect((await client.listStock({ pageSize: 1_000 })).stock).toHaveLength(100);
    expect((await client.listReservations({ pageSize: 2 ** 31 - 1 })).reservations).toHaveLength(100);
    expect((await client.listStock({})).stock).toHaveLength(20);
  });

  it("refuses a forged or garbled token, another list's token and another filter's token", async () => {
    const stockToken = (await client.listStock({ pageSize: 1 })).nextPageToken;
    const heldToken = (await client.listReservations({ status: ReservationStatus.HELD, pageSize: 1 }))
      .nextPageToken;
    const forged = Buffer.from(JSON.stringify({ sku: "x' OR '1'='1" })).toString("base64url");
    const refusals = [
      client.listStock({ pageToken: "not a token" }),
      client.listStock({ pageToken: forged }),
      client.listStock({ pageToken: heldToken }),
      client.listReservations({ pageToken: stockToken }),
      client.listReservations({ status: ReservationStatus.COMMITTED, pageToken: heldToken }),
      client.listStock({ pageSize: -1 }),
    ];
    // Settled together: a refusal that arrives while an earlier one is awaited is never unhandled.
    for (const result of await Promise.allSettled(refusals)) {
      expect(result).toMatchObject({ status: "rejected", reason: { code: "invalid_argument" } });
    }
  });
});
