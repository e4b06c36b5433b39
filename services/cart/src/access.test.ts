import { CartService } from "@tessera/contracts/cart/v1";
import { createClient, newId } from "@tessera/kit";
import { nowhere, testCallers, testClient } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCart, type TestCart } from "./testing/test-service.ts";

describe("who may read and change a cart", () => {
  let app: TestCart;
  const clients: { close(): void }[] = [];
  const client = (caller?: Parameters<typeof testClient>[2]) => {
    const made = caller
      ? testClient(CartService, app.address, caller)
      : createClient(CartService, app.address);
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    app = await startTestCart({ CATALOG_ADDR: nowhere });
  });

  afterAll(async () => {
    for (const made of clients) made.close();
    await app?.stop();
  });

  it("lets a customer read and clear their own cart", async () => {
    const alice = newId();
    const cart = client(testCallers.customer(alice));
    expect((await cart.getCart({ userId: alice })).cart?.items).toEqual([]);
    await cart.clearCart({ userId: alice });
  });

  it("refuses a customer another user's cart", async () => {
    const cart = client(testCallers.customer(newId()));
    await expect(cart.getCart({ userId: newId() })).rejects.toMatchObject({ code: "permission_denied" });
    await expect(cart.clearCart({ userId: newId() })).rejects.toMatchObject({ code: "permission_denied" });
  });

  it("refuses a call without a token", async () => {
    await expect(client().getCart({ userId: newId() })).rejects.toMatchObject({ code: "unauthenticated" });
  });
});
