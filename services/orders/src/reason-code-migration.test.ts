import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { t, useOrdersWithCart } from "./testing/orders-with-cart.ts";

useOrdersWithCart();

// Migration 003 gives orders that ended before reason codes existed the code of their prose. The
// test database starts empty, so its backfill is run again here over an order given old prose.
const migration = new URL("../migrations/003_order_reason_codes.sql", import.meta.url);

describe("migration 003: reason codes for orders that ended before them", () => {
  let orderId = "";
  let backfill = "";
  beforeAll(async () => {
    const { order } = await t.client.placeOrder({ userId: "alice", idempotencyKey: "old", cardToken: "tok" });
    orderId = order!.id;
    const sql = await readFile(migration, "utf8");
    backfill = sql.slice(sql.indexOf("UPDATE orders"));
  });

  it.each([
    ["not enough stock: LAMP: 0 of 1 available", "out-of-stock"],
    ["the stock reservation expired before the payment was authorized", "reservation-expired"],
    ["timed out waiting for the stock reservation", "reservation-timeout"],
    ["timed out waiting for the payment authorization", "payment-timeout"],
    ["cancelled by the customer", "cancelled-by-user"],
    ["payment declined: insufficient_funds", "insufficient-funds"],
    ["payment declined: processor_unavailable", "payment-unavailable"],
    ["payment declined: something else", "card-declined"],
    ["", ""],
  ])("gives %j the code %j", async (prose, code) => {
    await t.service.db.query("UPDATE orders SET reason = $1, reason_code = '' WHERE id = $2", [
      prose,
      orderId,
    ]);
    await t.service.db.query(backfill);
    const { rows } = await t.service.db.query<{ reason_code: string }>(
      "SELECT reason_code FROM orders WHERE id = $1",
      [orderId],
    );
    expect(rows[0]?.reason_code).toBe(code);
  });
});
