import { OrdersService } from "@tessera/contracts/orders/v1";
import { createClient, type Client } from "@tessera/kit";
import { testCallers, testClient } from "@tessera/kit/testing";
import { afterAll, describe, expect, it } from "vitest";
import { cart, t, useOrdersWithCart } from "./testing/orders-with-cart.ts";

useOrdersWithCart();

const clients: Client<typeof OrdersService>[] = [];
afterAll(() => clients.forEach((client) => client.close()));

const as = (caller?: Parameters<typeof testClient>[2]) => {
  const client = caller
    ? testClient(OrdersService, t.rpcAddress, caller)
    : createClient(OrdersService, t.rpcAddress);
  clients.push(client);
  return client;
};

const subjectOf = (authorization: string | undefined) => {
  const payload = authorization?.replace(/^Bearer /, "").split(".")[1] ?? "";
  return (JSON.parse(Buffer.from(payload, "base64url").toString() || "{}") as { sub?: string }).sub;
};

describe("who may place and read orders", () => {
  it("lets a customer place and read their own order, asking the cart with the customer's token", async () => {
    const alice = as(testCallers.customer("alice"));
    const { order } = await alice.placeOrder({ userId: "alice", idempotencyKey: "own", cardToken: "tok_ok" });
    expect(subjectOf(cart.lastAuthorization)).toBe("alice");
    expect((await alice.getOrder({ userId: "alice", orderId: order!.id })).order?.id).toBe(order!.id);
    expect((await alice.listMyOrders({ userId: "alice" })).orders.map((o) => o.id)).toContain(order!.id);
  });

  it("refuses a customer acting for another user", async () => {
    const alice = as(testCallers.customer("alice"));
    await expect(
      alice.placeOrder({ userId: "bob", idempotencyKey: "not-mine", cardToken: "tok_ok" }),
    ).rejects.toMatchObject({ code: "permission_denied" });
    await expect(alice.listMyOrders({ userId: "bob" })).rejects.toMatchObject({ code: "permission_denied" });
  });

  it("keeps the list of every order for administrators", async () => {
    await expect(as(testCallers.customer("alice")).listOrders({})).rejects.toMatchObject({
      code: "permission_denied",
    });
    expect((await as(testCallers.admin("root")).listOrders({})).orders.length).toBeGreaterThan(0);
  });

  it("refuses a call without a token", async () => {
    await expect(as().listMyOrders({ userId: "alice" })).rejects.toMatchObject({ code: "unauthenticated" });
  });
});
