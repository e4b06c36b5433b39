import { describe, expect, it } from "vitest";
import { ServiceError } from "@tessera/kit";
import { checkout, fillCart, placeOrder, tent } from "../testing/checkout-flow.ts";
import { appPerTest } from "../testing/test-app.ts";
import { alice, bob } from "../testing/users.ts";
import type { OrderJson } from "./order-json.ts";

const start = appPerTest();

describe("checkout", () => {
  it("turns the cart into a pending order: 201, its Location, and the cart emptied", async () => {
    const test = await start();
    await fillCart(test);
    const response = await checkout(test, "checkout-1");
    expect(response.statusCode).toBe(201);
    const order = response.json<OrderJson & Record<string, unknown>>();
    expect(response.headers.location).toBe(`/api/v1/orders/${order.id}`);
    expect(order).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
      userId: alice,
      status: "pending",
      items: [
        {
          productId: tent,
          sku: "TENT-2P-ULTRA",
          name: "Ultralight Two-Person Tent",
          quantity: 2,
          unitPrice: { currencyCode: "USD", amountMinor: 34900, formatted: "$349.00" },
          lineTotal: { currencyCode: "USD", amountMinor: 69800, formatted: "$698.00" },
        },
      ],
      subtotal: { currencyCode: "USD", amountMinor: 69800, formatted: "$698.00" },
      total: { currencyCode: "USD", amountMinor: 69800, formatted: "$698.00" },
      reason: "",
      createTime: expect.stringMatching(/Z$/),
      updateTime: expect.stringMatching(/Z$/),
    });
    expect(test.orders.calls.map((call) => call.request)).toEqual([
      { userId: alice, idempotencyKey: "checkout-1", cardToken: "tok_visa" },
    ]);
    const cart = await test.app.inject({ url: "/api/v1/cart", headers: await test.bearer(alice) });
    expect(cart.json()).toMatchObject({ items: [], itemCount: 0 });
  });

  it("answers a retry with the same key with the same order, again 201, and places no second one", async () => {
    const test = await start();
    const first = await placeOrder(test, "retry-me");
    const again = await checkout(test, "retry-me");
    expect(again.statusCode).toBe(201);
    expect(again.headers.location).toBe(`/api/v1/orders/${first.id}`);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json<OrderJson>().id).toBe(first.id);
    const list = await test.app.inject({ url: "/api/v1/orders", headers: await test.bearer(alice) });
    expect(list.json<{ orders: OrderJson[] }>().orders).toHaveLength(1);
  });

  it("answers 422 idempotency-key-reused for the same key with a different body, and keeps the order", async () => {
    const test = await start();
    const first = await placeOrder(test, "changed-body");
    const changed = await checkout(test, "changed-body", alice, { cardToken: "tok_card_declined" });
    expect(changed.statusCode).toBe(422);
    expect(changed.json()).toMatchObject({
      type: "urn:tessera:problem:idempotency-key-reused",
      title: "Idempotency key reused",
      status: 422,
    });
    const again = await checkout(test, "changed-body");
    expect(again.json<OrderJson>().id).toBe(first.id);
  });

  it("keeps one user's keys apart from another's", async () => {
    const test = await start();
    const mine = await placeOrder(test, "same-key");
    const theirs = await placeOrder(test, "same-key", bob);
    expect(theirs.id).not.toBe(mine.id);
  });

  it("answers 409 when the cart is empty", async () => {
    const test = await start();
    const response = await checkout(test, "empty-cart");
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      type: "urn:tessera:problem:cart-empty",
      detail: "the cart is empty",
    });
  });

  it.each([
    ["missing", undefined, "is required"],
    ["empty", "", "must match pattern"],
    ["129 characters long", "k".repeat(129), "must match pattern"],
    ["with a space", "my key", "must match pattern"],
    ["with a slash", "a/b", "must match pattern"],
    ["with an at sign", "a@b", "must match pattern"],
    ["sent twice", ["key-1", "key-2"], "must match pattern"],
  ])("refuses an Idempotency-Key %s with a 400 naming the header", async (_name, key, detail) => {
    const test = await start();
    await fillCart(test);
    const response = await checkout(test, key);
    expect(response.statusCode).toBe(400);
    const problem = response.json<{
      detail: string;
      errors: { in: string; parameter: string; detail: string }[];
    }>();
    expect(problem.errors[0]).toMatchObject({ in: "header", parameter: "idempotency-key" });
    expect(problem.errors[0]?.detail).toContain(detail);
    expect(problem.detail).toMatch(/^idempotency-key /);
    expect(test.orders.calls).toEqual([]);
  });

  it.each(["k", "k".repeat(128), "0197a3b2-7c1e-7d40-9a55-0a1b2c3d4e5f", "cart:2026-01-02T03.04_x-1"])(
    "accepts the Idempotency-Key %s",
    async (key) => {
      const test = await start();
      await fillCart(test);
      expect((await checkout(test, key)).statusCode).toBe(201);
    },
  );

  it.each([
    ["no cardToken", {}, "cardToken"],
    ["an empty cardToken", { cardToken: "" }, "cardToken"],
    ["a cardToken of 129 characters", { cardToken: "t".repeat(129) }, "cardToken"],
    ["a numeric cardToken", { cardToken: 4242 }, "cardToken"],
    ["an unknown property", { cardToken: "tok_visa", amount: 1 }, "amount"],
  ])("refuses a checkout body with %s, naming the field in a 400", async (_name, payload, parameter) => {
    const test = await start();
    const response = await checkout(test, "body-check", alice, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ errors: [{ in: "body", parameter }] });
    expect(test.orders.calls).toEqual([]);
  });

  it("answers 503 with Retry-After when the orders service is down", async () => {
    const test = await start();
    test.orders.failWith(new ServiceError("unavailable", "connect ECONNREFUSED 127.0.0.1:50054"));
    const response = await checkout(test, "down-1");
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.headers.location).toBeUndefined();
  });
});
