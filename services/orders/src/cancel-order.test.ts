import { OrderStatus } from "@tessera/contracts/orders/v1";
import { describe, expect, it } from "vitest";
import { t, useOrdersWithCart } from "./testing/orders-with-cart.ts";

useOrdersWithCart();

describe("CancelOrder", () => {
  const place = async (userId: string, key: string) =>
    (await t.client.placeOrder({ userId, idempotencyKey: key, cardToken: "tok" })).order!;

  it("cancels a pending order, emits OrderCancelled, and accepts a retried cancel", async () => {
    const order = await place("alice", "cancel-1");
    const { order: cancelled } = await t.client.cancelOrder({ userId: "alice", orderId: order.id });
    expect(cancelled).toMatchObject({
      status: OrderStatus.CANCELLED,
      reason: "cancelled by the customer",
      reasonDetail: { code: "cancelled-by-user", message: "cancelled by the customer" },
    });
    const again = await t.client.cancelOrder({ userId: "alice", orderId: order.id });
    expect(again.order?.status).toBe(OrderStatus.CANCELLED);
    expect((await t.outbox(order.id)).map((m) => m.type)).toEqual([
      "OrderPlaced",
      "ReserveStock",
      "AuthorizePayment",
      "OrderCancelled",
    ]);
  });

  it("releases the stock of an order that was waiting for payment", async () => {
    const order = await place("alice", "cancel-2");
    await t.service.db.tx((tx) => t.saga.advance(tx, order.id, { type: "StockReserved" }));
    await t.client.cancelOrder({ userId: "alice", orderId: order.id });
    expect((await t.outbox(order.id)).slice(-2)).toEqual([
      {
        type: "OrderCancelled",
        data: { orderId: order.id, userId: "alice", reason: "cancelled by the customer" },
      },
      { type: "ReleaseStock", data: { orderId: order.id, reason: "cancelled by the customer" } },
    ]);
  });

  it("refuses to cancel a confirmed order", async () => {
    const order = await place("alice", "cancel-3");
    await t.service.db.tx(async (tx) => {
      await t.saga.advance(tx, order.id, { type: "StockReserved" });
      await t.saga.advance(tx, order.id, { type: "PaymentAuthorized", paymentId: "pay" });
    });
    await expect(t.client.cancelOrder({ userId: "alice", orderId: order.id })).rejects.toMatchObject({
      code: "failed_precondition",
      reason: "order-not-cancellable",
      domain: "tessera.orders",
    });
    expect((await t.client.getOrder({ userId: "alice", orderId: order.id })).order?.status).toBe(
      OrderStatus.CONFIRMED,
    );
  });

  it("hides another user's order", async () => {
    const order = await place("alice", "cancel-4");
    await expect(t.client.cancelOrder({ userId: "bob", orderId: order.id })).rejects.toMatchObject({
      code: "not_found",
    });
    expect((await t.store.get(order.id))?.status).toBe("PENDING");
  });

  it("rejects a malformed order id", async () => {
    await expect(t.client.cancelOrder({ userId: "alice", orderId: "x" })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });
});
