import { OrdersService } from "@tessera/contracts/orders/v1";
import { newId, type ServiceError } from "@tessera/kit";
import { testCallers, testClient } from "@tessera/kit/testing";
import { describe, expect, it } from "vitest";
import { cart, countOrders, t, tent, useOrdersWithCart } from "./testing/orders-with-cart.ts";

useOrdersWithCart();

describe("PlaceOrder with an idempotency key", () => {
  it("returns the same order for the same idempotency key, without asking the cart again", async () => {
    const first = await t.client.placeOrder({ userId: "bob", idempotencyKey: "same", cardToken: "tok_ok" });
    expect(first.replayed).toBe(false);
    const calls = cart.calls;
    const second = await t.client.placeOrder({ userId: "bob", idempotencyKey: "same", cardToken: "tok_ok" });
    expect(second.order?.id).toBe(first.order?.id);
    expect(second.replayed).toBe(true);
    expect(cart.calls).toBe(calls);
    expect(await countOrders("bob")).toBe(1n);
    expect(await t.outbox(first.order!.id)).toHaveLength(3);
    const other = await t.client.placeOrder({
      userId: "bob",
      idempotencyKey: "another",
      cardToken: "tok_ok",
    });
    expect(other.order?.id).not.toBe(first.order?.id);
  });

  it("makes exactly one order of ten concurrent calls with one key; the others are told to retry", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        t.client.placeOrder({ userId: "carol", idempotencyKey: "race", cardToken: "tok_ok" }),
      ),
    );
    const ids = new Set(results.flatMap((r) => (r.status === "fulfilled" ? [r.value.order?.id] : [])));
    expect(ids.size).toBe(1);
    for (const result of results) {
      if (result.status === "rejected") {
        expect(result.reason).toMatchObject({ code: "aborted", reason: "idempotency-key-in-use" });
      }
    }
    expect(await countOrders("carol")).toBe(1n);
    const retried = await t.client.placeOrder({
      userId: "carol",
      idempotencyKey: "race",
      cardToken: "tok_ok",
    });
    expect(retried).toMatchObject({ replayed: true, order: { id: [...ids][0] } });
    const types = (await t.outbox([...ids][0]!)).map((m) => m.type);
    expect(types).toEqual(["OrderPlaced", "ReserveStock", "AuthorizePayment"]);
  });

  it("makes one order of one cart, however many checkouts race with their own keys", async () => {
    const cartId = newId();
    cart.setCart("racer", [tent], { cartId });
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) =>
        t.client.placeOrder({ userId: "racer", idempotencyKey: `race-${i}`, cardToken: "tok_ok" }),
      ),
    );
    const placed = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason as ServiceError);
    expect(placed).toHaveLength(1);
    expect(await countOrders("racer")).toBe(1n);
    const orderId = placed[0]!.value.order!.id;
    for (const error of refused) {
      expect(error).toMatchObject({ code: "failed_precondition", reason: "cart-already-ordered" });
      expect(error.message).toContain(orderId);
    }
    // The refused requests freed their keys: a retry of one of them is refused the same way, not stuck.
    const refusedKey = `race-${results.findIndex((r) => r.status === "rejected")}`;
    await expect(
      t.client.placeOrder({ userId: "racer", idempotencyKey: refusedKey, cardToken: "tok_ok" }),
    ).rejects.toMatchObject({ code: "failed_precondition", reason: "cart-already-ordered" });
  });

  it("refuses the same key with a different request, and keeps the first order", async () => {
    cart.setCart("frank", [tent]);
    const first = await t.client.placeOrder({
      userId: "frank",
      idempotencyKey: "k-changed",
      cardToken: "tok_a",
    });
    await expect(
      t.client.placeOrder({ userId: "frank", idempotencyKey: "k-changed", cardToken: "tok_card_declined" }),
    ).rejects.toMatchObject({ code: "invalid_argument", reason: "idempotency-key-reused" });
    const again = await t.client.placeOrder({
      userId: "frank",
      idempotencyKey: "k-changed",
      cardToken: "tok_a",
    });
    expect(again).toMatchObject({ replayed: true, order: { id: first.order!.id } });
  });

  it("refuses a second request with a key whose first request is still being handled", async () => {
    cart.setCart("grace", [tent]);
    cart.delay("grace", 250);
    const client = testClient(OrdersService, t.rpcAddress, testCallers.operator, { maxAttempts: 1 });
    try {
      const first = client.placeOrder({ userId: "grace", idempotencyKey: "slow", cardToken: "tok_ok" });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(
        client.placeOrder({ userId: "grace", idempotencyKey: "slow", cardToken: "tok_ok" }),
      ).rejects.toMatchObject({ code: "aborted", reason: "idempotency-key-in-use" });
      // The first one may itself miss the cart's 300 ms deadline on a busy machine; either way the
      // key ends up bound to its order or free again, never stuck.
      const outcome = await first.then(
        (placed) => placed.order!.id,
        () => undefined,
      );
      cart.delay("grace", 0);
      const retried = await client.placeOrder({
        userId: "grace",
        idempotencyKey: "slow",
        cardToken: "tok_ok",
      });
      if (outcome) expect(retried).toMatchObject({ replayed: true, order: { id: outcome } });
      else expect(retried.replayed).toBe(false);
    } finally {
      client.close();
    }
  });

  it("frees the key of a request that failed, and forgets keys after their 24 hours", async () => {
    await expect(
      t.client.placeOrder({ userId: "heidi", idempotencyKey: "k-free", cardToken: "tok_ok" }),
    ).rejects.toMatchObject({ reason: "cart-empty" });
    cart.setCart("heidi", [tent]);
    const placed = await t.client.placeOrder({
      userId: "heidi",
      idempotencyKey: "k-free",
      cardToken: "tok_ok",
    });
    expect(placed.replayed).toBe(false);
    await t.service.db.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = 'heidi'",
    );
    const later = await t.client.placeOrder({
      userId: "heidi",
      idempotencyKey: "k-free",
      cardToken: "tok_b",
    });
    expect(later).toMatchObject({ replayed: false });
    expect(later.order?.id).not.toBe(placed.order?.id);
  });

  it("keeps one key per user: another user's same key is another order", async () => {
    const a = await t.client.placeOrder({ userId: "dave", idempotencyKey: "shared", cardToken: "tok_ok" });
    const b = await t.client.placeOrder({ userId: "erin", idempotencyKey: "shared", cardToken: "tok_ok" });
    expect(a.order?.id).not.toBe(b.order?.id);
  });
});
