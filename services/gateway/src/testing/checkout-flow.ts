import { expect } from "vitest";
import type { OrderJson } from "../routes/order-json.ts";
import type { TestApp } from "./test-app.ts";
import { alice } from "./users.ts";

// A shopper's way to an order, for the checkout and orders tests.

export const tent = "01970000-0000-7000-8000-000000000001";

/** Puts `quantity` tents in the user's cart. */
export async function fillCart(test: TestApp, user = alice, quantity = 2) {
  const response = await test.app.inject({
    method: "POST",
    url: "/api/v1/cart/items",
    headers: await test.bearer(user),
    payload: { productId: tent, quantity },
  });
  expect(response.statusCode).toBe(200);
}

/** `POST /api/v1/checkout` as `user` with `key` as the Idempotency-Key (none when undefined). */
export async function checkout(
  test: TestApp,
  key: string | string[] | undefined,
  user = alice,
  payload: unknown = { cardToken: "tok_visa" },
) {
  const headers = await test.bearer(user);
  return test.app.inject({
    method: "POST",
    url: "/api/v1/checkout",
    headers: key === undefined ? headers : { ...headers, "idempotency-key": key },
    payload: payload as object,
  });
}

/** Fills the cart and checks out: the new order. */
export async function placeOrder(test: TestApp, key: string, user = alice): Promise<OrderJson> {
  await fillCart(test, user);
  const response = await checkout(test, key, user);
  expect(response.statusCode).toBe(201);
  return response.json<OrderJson>();
}
