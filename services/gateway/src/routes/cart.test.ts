import { describe, expect, it } from "vitest";
import { ServiceError } from "@tessera/kit";
import { appPerTest, type TestApp } from "../testing/test-app.ts";
import { alice, bob } from "../testing/users.ts";
import type { CartJson } from "./cart-json.ts";

const tent = "01970000-0000-7000-8000-000000000001";
const stove = "01970000-0000-7000-8000-000000000002";
const start = appPerTest();

async function add(test: TestApp, productId: string, quantity: number, user = alice) {
  return test.app.inject({
    method: "POST",
    url: "/api/v1/cart/items",
    headers: await test.bearer(user),
    payload: { productId, quantity },
  });
}

describe("cart API", () => {
  it("shows an empty cart, its subtotal null, to a user who added nothing", async () => {
    const test = await start();
    const response = await test.app.inject({ url: "/api/v1/cart", headers: await test.bearer(alice) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      userId: alice,
      items: [],
      itemCount: 0,
      subtotal: null,
      pricesCurrent: true,
    });
  });

  it("adds products as priced lines, and adding a product again adds to its line", async () => {
    const test = await start();
    await add(test, tent, 2);
    await add(test, stove, 1);
    const response = await add(test, tent, 1);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      userId: alice,
      items: [
        {
          productId: tent,
          sku: "TENT-2P-ULTRA",
          name: "Ultralight Two-Person Tent",
          quantity: 3,
          unitPrice: { currencyCode: "USD", amountMinor: 34900, formatted: "$349.00" },
          lineTotal: { currencyCode: "USD", amountMinor: 104700, formatted: "$1,047.00" },
          addedUnitPrice: { currencyCode: "USD", amountMinor: 34900, formatted: "$349.00" },
          priceChanged: false,
        },
        {
          productId: stove,
          sku: "STOVE-TI",
          name: "Titanium Camp Stove",
          quantity: 1,
          unitPrice: { currencyCode: "USD", amountMinor: 4550, formatted: "$45.50" },
          lineTotal: { currencyCode: "USD", amountMinor: 4550, formatted: "$45.50" },
          addedUnitPrice: { currencyCode: "USD", amountMinor: 4550, formatted: "$45.50" },
          priceChanged: false,
        },
      ],
      itemCount: 4,
      subtotal: { currencyCode: "USD", amountMinor: 109250, formatted: "$1,092.50" },
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      pricesCurrent: true,
    });
    expect(test.cart.calls[0]?.request).toEqual({
      userId: alice,
      productId: tent,
      quantity: 2,
      expectedVersion: "",
    });
  });

  it("sets a line's quantity, and quantity 0 removes the line", async () => {
    const test = await start();
    await add(test, tent, 1);
    await add(test, stove, 1);
    const set = await test.app.inject({
      method: "PUT",
      url: `/api/v1/cart/items/${stove}`,
      headers: { ...(await test.bearer(alice)), "if-match": "*" },
      payload: { quantity: 5 },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json<CartJson>().items.map((i) => [i.productId, i.quantity])).toEqual([
      [tent, 1],
      [stove, 5],
    ]);
    const removed = await test.app.inject({
      method: "PUT",
      url: `/api/v1/cart/items/${tent}`,
      headers: { ...(await test.bearer(alice)), "if-match": "*" },
      payload: { quantity: 0 },
    });
    expect(removed.json<CartJson>().items.map((i) => i.productId)).toEqual([stove]);
    expect(test.cart.calls.at(-1)?.request).toEqual({
      userId: alice,
      productId: tent,
      quantity: 0,
      expectedVersion: "",
    });
  });

  it("removes a line, and removing it again changes nothing", async () => {
    const test = await start();
    await add(test, tent, 1);
    for (let i = 0; i < 2; i++) {
      const response = await test.app.inject({
        method: "DELETE",
        url: `/api/v1/cart/items/${tent}`,
        headers: { ...(await test.bearer(alice)), "if-match": "*" },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json<CartJson>()).toMatchObject({ items: [], itemCount: 0 });
    }
  });

  it("clears the cart", async () => {
    const test = await start();
    await add(test, tent, 1);
    await add(test, stove, 2);
    const response = await test.app.inject({
      method: "DELETE",
      url: "/api/v1/cart",
      headers: { ...(await test.bearer(alice)), "if-match": "*" },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      userId: alice,
      items: [],
      itemCount: 0,
      subtotal: null,
      pricesCurrent: true,
    });
  });

  it("keeps each user's cart to themselves", async () => {
    const test = await start();
    await add(test, tent, 1);
    const theirs = await test.app.inject({ url: "/api/v1/cart", headers: await test.bearer(bob) });
    expect(theirs.json<CartJson>()).toMatchObject({ userId: bob, items: [] });
  });
});

describe("cart API validation", () => {
  it.each([
    ["no productId", { quantity: 1 }, "productId", "is required"],
    ["a productId that is not a UUID", { productId: "tent", quantity: 1 }, "productId", "uuid"],
    ["no quantity", { productId: tent }, "quantity", "is required"],
    ["quantity 0", { productId: tent, quantity: 0 }, "quantity", ">= 1"],
    ["quantity 100", { productId: tent, quantity: 100 }, "quantity", "<= 99"],
    ["a fractional quantity", { productId: tent, quantity: 1.5 }, "quantity", "integer"],
    ["a quantity as a string", { productId: tent, quantity: "2" }, "quantity", "integer"],
    ["a quantity of true", { productId: tent, quantity: true }, "quantity", "integer"],
    ["a quantity of null", { productId: tent, quantity: null }, "quantity", "integer"],
    ["an unknown property", { productId: tent, quantity: 1, price: 1 }, "price", "not a known property"],
    ["an array", [{ productId: tent, quantity: 1 }], "(request)", "object"],
  ])("refuses adding with %s, naming the field in a 400", async (_name, payload, parameter, detail) => {
    const test = await start();
    const response = await test.app.inject({
      method: "POST",
      url: "/api/v1/cart/items",
      headers: await test.bearer(alice),
      payload,
    });
    expect(response.statusCode).toBe(400);
    const problem = response.json<{
      type: string;
      errors: { in: string; parameter: string; detail: string }[];
    }>();
    expect(problem.type).toBe("urn:tessera:problem:invalid-argument");
    expect(problem.errors[0]).toMatchObject({ in: "body", parameter });
    expect(problem.errors[0]?.detail).toContain(detail);
    expect(test.cart.calls).toEqual([]);
  });

  it.each([
    ["quantity -1", `/api/v1/cart/items/${tent}`, { quantity: -1 }, "quantity"],
    ["quantity 100", `/api/v1/cart/items/${tent}`, { quantity: 100 }, "quantity"],
    ["no quantity", `/api/v1/cart/items/${tent}`, {}, "quantity"],
    ["a product id that is not a UUID", "/api/v1/cart/items/tent", { quantity: 1 }, "productId"],
  ])("refuses setting %s, naming the field in a 400", async (_name, url, payload, parameter) => {
    const test = await start();
    const response = await test.app.inject({
      method: "PUT",
      url,
      headers: await test.bearer(alice),
      payload,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ errors: { parameter: string }[] }>().errors[0]?.parameter).toBe(parameter);
    expect(test.cart.calls).toEqual([]);
  });

  it("refuses a body that is not JSON with 415, and an empty or oversized one with a 4xx problem", async () => {
    const test = await start();
    const url = "/api/v1/cart/items";
    const text = await test.app.inject({
      method: "POST",
      url,
      headers: { ...(await test.bearer(alice)), "content-type": "text/plain" },
      payload: "productId=x",
    });
    expect(text.statusCode).toBe(415);
    expect(text.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const empty = await test.app.inject({
      method: "POST",
      url,
      headers: { ...(await test.bearer(alice)), "content-type": "application/json" },
    });
    expect(empty.statusCode).toBe(400);
    const large = await test.app.inject({
      method: "POST",
      url,
      headers: await test.bearer(alice),
      payload: { productId: tent, quantity: 1, padding: "x".repeat(20_000) },
    });
    expect(large.statusCode).toBe(413);
    expect(test.cart.calls).toEqual([]);
  });
});

describe("cart API errors", () => {
  it("answers 404 for a product the catalog does not have", async () => {
    const test = await start();
    const missing = "01970000-0000-7000-8000-0000000000ff";
    const response = await add(test, missing, 1);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, detail: `product ${missing} not found` });
  });

  it("answers 404 for setting the quantity of a product not in the cart", async () => {
    const test = await start();
    const response = await test.app.inject({
      method: "PUT",
      url: `/api/v1/cart/items/${stove}`,
      headers: { ...(await test.bearer(alice)), "if-match": "*" },
      payload: { quantity: 1 },
    });
    expect(response.statusCode).toBe(404);
  });

  it("answers 409 when the cart service refuses a line over its limit", async () => {
    const test = await start();
    await add(test, tent, 60);
    const response = await add(test, tent, 60);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ type: "urn:tessera:problem:failed-precondition" });
  });

  it("answers 503 with Retry-After when the cart service is down, and products keep working", async () => {
    const test = await start();
    test.cart.failWith(new ServiceError("unavailable", "connect ECONNREFUSED 127.0.0.1:50052"));
    const response = await test.app.inject({ url: "/api/v1/cart", headers: await test.bearer(alice) });
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.body).not.toContain("50052");
    expect((await test.app.inject({ url: "/api/v1/products" })).statusCode).toBe(200);
  });

  it("calls the cart service within the request's context", async () => {
    const test = await start();
    await test.app.inject({
      url: "/api/v1/cart",
      headers: { ...(await test.bearer(alice)), "x-request-id": "req-cart-1" },
    });
    expect(test.cart.calls[0]?.context).toMatchObject({ requestId: "req-cart-1" });
    expect(test.cart.calls[0]?.context?.deadline).toBeGreaterThan(Date.now());
  });
});
