import { expect } from "vitest";
import type { OrderJson } from "../routes/order-json.ts";
import type { TestApp } from "./test-app.ts";

// A shopper's way to an order, for the checkout and orders tests.

export const tent = "01970000-0000-7000-8000-000000000001";
export const alice = { "x-tessera-user": "alice@example.com" };
export const bob = { "x-tessera-user": "bob" };

/** Puts `quantity` tents in the user's cart. */
export async function fillCart(test: TestApp, headers = alice, quantity = 2) {
  const response = await test.app.inject({
    method: "POST",
    url: "/api/v1/cart/items",
    headers,
    payload: { productId: tent, quantity },
  });
  expect(response.statusCode).toBe(200);
}

/** `POST /api/v1/checkout` with `key` as the Idempotency-Key (none when undefined). */
export function checkout(
  test: TestApp,
  key: string | string[] | undefined,
  headers = alice,
  payload: unknown = { cardToken: "tok_visa" },
) {
  const withKey = key === undefined ? headers : { ...headers, "idempotency-key": key };
  return test.app.inject({
    method: "POST",
    url: "/api/v1/checkout",
    headers: withKey,
    payload: payload as object,
  });
}

/** Fills the cart and checks out: the new order. */
export async function placeOrder(test: TestApp, key: string, headers = alice): Promise<OrderJson> {
  await fillCart(test, headers);
  const response = await checkout(test, key, headers);
  expect(response.statusCode).toBe(201);
  return response.json<OrderJson>();
}
