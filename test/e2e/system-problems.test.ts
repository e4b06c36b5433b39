import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cards,
  checkoutSteps,
  modes,
  startCheckoutSystem,
  type CheckoutSystem,
} from "../support/checkout-system.ts";

// The problem types of domain conditions, each triggered for real: the gateway in front of the
// cart, orders, inventory and payments processes, the reason crossing gRPC as a google.rpc.Status.

interface Problem {
  type: string;
  status: number;
  errors?: { in: string; parameter: string; pointer?: string; detail: string }[];
}

describe("problems a client can act on, through the whole system", () => {
  let running: CheckoutSystem | undefined;
  const system = () => running!;
  const { settled, addToCart, checkout } = checkoutSteps(system);
  const user = () => `carol-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    running = await startCheckoutSystem(modes[0]!);
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  it("answers checkout of an empty cart with cart-empty", async () => {
    const reply = await checkout(user(), randomUUID(), cards.approve);
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ type: "urn:tessera:problem:cart-empty", status: 409 });
  });

  it("answers units past the per-line maximum with line-quantity-exceeded", async () => {
    const who = user();
    const tent = system().products[0]!;
    await addToCart(who, tent, 99);
    const reply = await system().api<Problem>("POST", "/api/v1/cart/items", {
      user: who,
      body: { productId: tent.id, quantity: 1 },
    });
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ type: "urn:tessera:problem:line-quantity-exceeded" });
  });

  it("answers cancelling a rejected order with order-not-cancellable, its reason a code", async () => {
    const who = user();
    await addToCart(who, system().products[1]!, 1);
    const placed = await checkout(who, randomUUID(), cards.decline);
    const done = await settled(who, placed.body.id);
    expect(done.reason).toMatchObject({ code: "insufficient-funds" });
    const reply = await system().api<Problem>("POST", `/api/v1/orders/${done.id}/cancel`, { user: who });
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ type: "urn:tessera:problem:order-not-cancellable" });
  });

  it("reports every invalid field of a body, each with its pointer", async () => {
    const reply = await system().api<Problem>("POST", "/api/v1/cart/items", {
      user: user(),
      body: { productId: "not-a-uuid", quantity: 1000, gift: true },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.type).toBe("urn:tessera:problem:invalid-argument");
    expect(reply.body.errors?.map((e) => e.pointer).sort()).toEqual(["/gift", "/productId", "/quantity"]);
  });
});
