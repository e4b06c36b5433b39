// Test support (imported by tests only): the orders service with a test double of the cart, for the
// tests of its RPCs. A test file calls `useOrdersWithCart()` at its top, then uses `t` and `cart`.
//
// PlaceOrder calls the cart over gRPC. The real cart is a separate service, so these tests serve a
// test double of it (cart-double.ts) on a real gRPC port: the call, its deadline and its errors
// are the production ones; only the cart's own storage is not there.
import { afterAll, beforeAll } from "vitest";
import { startCartDouble, type CartDouble } from "./cart-double.ts";
import { startTestOrders, type TestOrders } from "./test-service.ts";

export let cart: CartDouble;
export let t: TestOrders;

export const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
export const tent = {
  productId: "p-tent",
  sku: "TENT-2P",
  name: "Tent",
  quantity: 1,
  unitPrice: usd(34900n),
};
export const mugs = { productId: "p-mug", sku: "MUG", name: "Mug", quantity: 3, unitPrice: usd(2400n) };

/**
 * Starts the cart double and the orders service calling it before the file's tests (five users have
 * a tent and mugs in their carts), and stops them after.
 */
export function useOrdersWithCart(): void {
  beforeAll(startOrdersWithCart);
  afterAll(stopOrdersWithCart);
}

async function startOrdersWithCart(): Promise<void> {
  cart = await startCartDouble();
  t = await startTestOrders({ cartAddress: cart.address });
  for (const user of ["alice", "bob", "carol", "dave", "erin"]) cart.setCart(user, [tent, mugs]);
}

async function stopOrdersWithCart(): Promise<void> {
  await t?.stop();
  await cart?.close();
}

export const countOrders = async (userId: string) =>
  (await t.service.db.query<{ count: bigint }>("SELECT count(*) FROM orders WHERE user_id = $1", [userId]))
    .rows[0]!.count;
