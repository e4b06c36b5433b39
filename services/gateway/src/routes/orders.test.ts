import { describe, expect, it } from "vitest";
import { OrderStatus } from "@tessera/contracts/orders/v1";
import { placeOrder } from "../testing/checkout-flow.ts";
import { appPerTest } from "../testing/test-app.ts";
import { alice, bob } from "../testing/users.ts";
import type { OrderJson } from "./order-json.ts";

const start = appPerTest();

describe("orders API", () => {
  it("gets an order and shows each checkout step as a lower-case status", async () => {
    const test = await start();
    const order = await placeOrder(test, "steps");
    const steps = [
      [OrderStatus.STOCK_RESERVED, "stock_reserved"],
      [OrderStatus.PAYMENT_AUTHORIZED, "payment_authorized"],
      [OrderStatus.CONFIRMED, "confirmed"],
    ] as const;
    for (const [status, name] of steps) {
      test.orders.advance(order.id, status);
      const response = await test.app.inject({
        url: `/api/v1/orders/${order.id}`,
        headers: await test.bearer(alice),
      });
      expect(response.statusCode).toBe(200);
      expect(response.json<OrderJson>()).toMatchObject({ id: order.id, status: name });
    }
  });

  it("shows why an order was rejected", async () => {
    const test = await start();
    const order = await placeOrder(test, "declined");
    const reason = { code: "insufficient-funds", message: "payment declined: insufficient_funds" };
    test.orders.advance(order.id, OrderStatus.REJECTED, reason);
    const response = await test.app.inject({
      url: `/api/v1/orders/${order.id}`,
      headers: await test.bearer(alice),
    });
    expect(response.json<OrderJson>()).toMatchObject({ status: "rejected", reason });
  });

  it("answers 404 for another user's order and for one that does not exist, 400 for a bad id", async () => {
    const test = await start();
    const order = await placeOrder(test, "private");
    const other = await test.app.inject({
      url: `/api/v1/orders/${order.id}`,
      headers: await test.bearer(bob),
    });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ type: "urn:tessera:problem:not-found" });
    const none = await test.app.inject({
      url: "/api/v1/orders/01970000-0000-7000-8000-0000000000ff",
      headers: await test.bearer(alice),
    });
    expect(none.statusCode).toBe(404);
    const bad = await test.app.inject({ url: "/api/v1/orders/latest", headers: await test.bearer(alice) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ errors: [{ in: "path", parameter: "id" }] });
  });

  it("lists the user's own orders newest first, page by page", async () => {
    const test = await start();
    const placed = [];
    for (const key of ["one", "two", "three"]) placed.push(await placeOrder(test, key));
    await placeOrder(test, "bobs", bob);
    const first = await test.app.inject({
      url: "/api/v1/orders?page_size=2",
      headers: await test.bearer(alice),
    });
    expect(first.statusCode).toBe(200);
    const page1 = first.json<{ orders: OrderJson[]; nextPageToken: string }>();
    expect(page1.orders.map((o) => o.id)).toEqual([placed[2]?.id, placed[1]?.id]);
    expect(page1.nextPageToken).not.toBe("");
    const second = await test.app.inject({
      url: `/api/v1/orders?page_size=2&page_token=${page1.nextPageToken}`,
      headers: await test.bearer(alice),
    });
    expect(second.json()).toEqual({
      orders: [expect.objectContaining({ id: placed[0]?.id })],
      nextPageToken: "",
    });
    expect(test.orders.calls.filter((c) => c.method === "listMyOrders").map((c) => c.request)).toEqual([
      { userId: alice, pageSize: 2, pageToken: "" },
      { userId: alice, pageSize: 2, pageToken: page1.nextPageToken },
    ]);
  });

  it.each(["page_size=0", "page_size=-1", "page_size=two", `page_token=${"t".repeat(2049)}`])(
    "refuses %s with a 400 problem",
    async (query) => {
      const test = await start();
      const response = await test.app.inject({
        url: `/api/v1/orders?${query}`,
        headers: await test.bearer(alice),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ errors: [{ in: "query" }] });
      expect(test.orders.calls).toEqual([]);
    },
  );

  it("passes on the orders service's 400 for a page token it did not issue", async () => {
    const test = await start();
    const response = await test.app.inject({
      url: "/api/v1/orders?page_token=bogus",
      headers: await test.bearer(alice),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ detail: "page_token is malformed or expired" });
  });
});

describe("cancelling an order", () => {
  it("cancels an order before payment is captured, and cancelling again changes nothing", async () => {
    const test = await start();
    const order = await placeOrder(test, "cancel-me");
    test.orders.advance(order.id, OrderStatus.PAYMENT_AUTHORIZED);
    for (let i = 0; i < 2; i++) {
      const response = await test.app.inject({
        method: "POST",
        url: `/api/v1/orders/${order.id}/cancel`,
        headers: await test.bearer(alice),
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        id: order.id,
        status: "cancelled",
        reason: { code: "cancelled-by-user", message: "cancelled by the customer" },
      });
    }
  });

  it("answers 409 for an order that can no longer be cancelled", async () => {
    const test = await start();
    const order = await placeOrder(test, "too-late");
    test.orders.advance(order.id, OrderStatus.CONFIRMED);
    const response = await test.app.inject({
      method: "POST",
      url: `/api/v1/orders/${order.id}/cancel`,
      headers: await test.bearer(alice),
    });
    expect(response.statusCode).toBe(409);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      status: 409,
      type: "urn:tessera:problem:order-not-cancellable",
      detail: `order ${order.id} can no longer be cancelled`,
    });
  });

  it("answers 404 for cancelling another user's order, and leaves it alone", async () => {
    const test = await start();
    const order = await placeOrder(test, "not-yours");
    const response = await test.app.inject({
      method: "POST",
      url: `/api/v1/orders/${order.id}/cancel`,
      headers: await test.bearer(bob),
    });
    expect(response.statusCode).toBe(404);
    const mine = await test.app.inject({
      url: `/api/v1/orders/${order.id}`,
      headers: await test.bearer(alice),
    });
    expect(mine.json()).toMatchObject({ status: "pending" });
  });
});
