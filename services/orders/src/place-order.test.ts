import { OrderStatus, OrdersService } from "@tessera/contracts/orders/v1";
import { newId, ServiceError } from "@tessera/kit";
import { testCallers, testClient } from "@tessera/kit/testing";
import { describe, expect, it } from "vitest";
import { cart, countOrders, mugs, t, tent, usd, useOrdersWithCart } from "./testing/orders-with-cart.ts";

useOrdersWithCart();

describe("PlaceOrder", () => {
  it("snapshots the cart's lines and prices into a PENDING order and starts the saga", async () => {
    const { order } = await t.client.placeOrder({
      userId: "alice",
      idempotencyKey: "k-1",
      cardToken: "tok_ok",
    });
    expect(order).toMatchObject({
      userId: "alice",
      status: OrderStatus.PENDING,
      total: usd(34900n + 3n * 2400n),
      reason: "",
      lines: [
        { productId: "p-tent", sku: "TENT-2P", name: "Tent", quantity: 1, unitPrice: usd(34900n) },
        { productId: "p-mug", sku: "MUG", name: "Mug", quantity: 3, unitPrice: usd(2400n) },
      ],
    });
    expect(order?.createTime?.seconds).toBeGreaterThan(0n);
    // The card token travels in AuthorizePayment only; the order does not keep it.
    expect((await t.store.get(order!.id))?.cardToken).toBe("");
    expect(await t.outbox(order!.id)).toEqual([
      {
        type: "OrderPlaced",
        data: {
          orderId: order!.id,
          userId: "alice",
          total: { currencyCode: "USD", amountMinor: "42100" },
          cartId: (await t.store.get(order!.id))?.cartId,
          items: [
            { productId: "p-tent", quantity: 1 },
            { productId: "p-mug", quantity: 3 },
          ],
        },
      },
      {
        type: "ReserveStock",
        data: {
          orderId: order!.id,
          lines: [
            { sku: "TENT-2P", quantity: 1 },
            { sku: "MUG", quantity: 3 },
          ],
          expireAfterSeconds: 90,
          expireAfter: "90s",
        },
      },
      {
        type: "AuthorizePayment",
        data: {
          orderId: order!.id,
          userId: "alice",
          amount: { currencyCode: "USD", amountMinor: "42100" },
          cardToken: "tok_ok",
        },
      },
    ]);
  });

  it("refuses a total one payment cannot take, naming the limit, and a cart whose prices are not current", async () => {
    cart.setCart("ivan", [{ ...tent, quantity: 99, unitPrice: usd(10n ** 9n) }]);
    await expect(
      t.client.placeOrder({ userId: "ivan", idempotencyKey: "k", cardToken: "tok_ok" }),
    ).rejects.toMatchObject({
      code: "failed_precondition",
      reason: "order-total-out-of-range",
      message: expect.stringMatching(/10,000,000,000/),
    });
    const client = testClient(OrdersService, t.rpcAddress, testCallers.operator, { maxAttempts: 1 });
    try {
      cart.setCart("ivan", [tent], { cartId: newId(), pricesCurrent: false });
      await expect(
        client.placeOrder({ userId: "ivan", idempotencyKey: "k2", cardToken: "tok_ok" }),
      ).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(/current prices/) });
    } finally {
      client.close();
    }
    expect(await countOrders("ivan")).toBe(0n);
  });

  it.each([
    ["an empty cart", "empty-user", () => undefined, /cart is empty/],
    [
      "a cart in two currencies",
      "mixed-user",
      () =>
        cart.setCart("mixed-user", [tent, { ...mugs, unitPrice: { currencyCode: "EUR", amountMinor: 1n } }]),
      /mixes currencies/,
    ],
    [
      "a cart line without a price",
      "free-user",
      () => cart.setCart("free-user", [{ ...tent, unitPrice: undefined }]),
      /no valid price/,
    ],
  ])("refuses %s with failed_precondition, writing nothing", async (_, userId, arrange, message) => {
    arrange();
    await expect(
      t.client.placeOrder({ userId, idempotencyKey: "k", cardToken: "tok_ok" }),
    ).rejects.toMatchObject({
      code: "failed_precondition",
      message: expect.stringMatching(message),
    });
    expect(await countOrders(userId)).toBe(0n);
  });

  it("answers unavailable when the cart fails, and when it misses the deadline", async () => {
    // Its own client: `unavailable` is retryable, and the shared client's breaker would count it.
    const client = testClient(OrdersService, t.rpcAddress, testCallers.operator, { maxAttempts: 1 });
    try {
      cart.fail("cart-down", new ServiceError("internal", "redis is gone"));
      await expect(
        client.placeOrder({ userId: "cart-down", idempotencyKey: "k", cardToken: "tok_ok" }),
      ).rejects.toMatchObject({
        code: "unavailable",
        message: expect.stringMatching(/cart could not be read/),
      });
      cart.setCart("slow", [tent]);
      cart.delay("slow", 2_000);
      const started = Date.now();
      await expect(
        client.placeOrder({ userId: "slow", idempotencyKey: "k", cardToken: "tok_ok" }),
      ).rejects.toMatchObject({ code: "unavailable" });
      // The cart deadline in the test service is 300 ms: the cart is not waited for.
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await countOrders("slow")).toBe(0n);
    } finally {
      client.close();
    }
  });

  it.each([
    ["an empty user id", { userId: "", idempotencyKey: "k", cardToken: "tok" }, /user_id/],
    ["a user id with spaces", { userId: "a b", idempotencyKey: "k", cardToken: "tok" }, /user_id/],
    [
      "an empty idempotency key",
      { userId: "alice", idempotencyKey: "", cardToken: "tok" },
      /idempotency_key/,
    ],
    [
      "a 129-character idempotency key",
      { userId: "alice", idempotencyKey: "k".repeat(129), cardToken: "tok" },
      /idempotency_key/,
    ],
    ["no card token", { userId: "alice", idempotencyKey: "k", cardToken: "" }, /card_token/],
    [
      "a card token with spaces",
      { userId: "alice", idempotencyKey: "k", cardToken: "4242 4242" },
      /card_token/,
    ],
  ])("rejects %s with invalid_argument", async (_, request, message) => {
    await expect(t.client.placeOrder(request)).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(message),
    });
  });

  it("accepts a 128-character idempotency key", async () => {
    const { order } = await t.client.placeOrder({
      userId: "alice",
      idempotencyKey: "k".repeat(128),
      cardToken: "tok",
    });
    expect(order?.status).toBe(OrderStatus.PENDING);
  });
});
