import { describe, expect, it } from "vitest";
import { decide } from "./saga.ts";
import {
  at,
  authorizedFirst,
  cancelledAuthorized,
  orderId,
  pending,
  run,
  step,
  types,
  userId,
} from "./testing/saga-fixtures.ts";

// Stock and payment are asked for together: the payment may answer first. The order then rests in
// PAYMENT_AUTHORIZED, and every way out of it that does not confirm voids the hold exactly once.

describe("decide while PAYMENT_AUTHORIZED (waiting for stock)", () => {
  it("is confirmed when the stock is reserved, capturing the payment it holds", () => {
    const d = decide(authorizedFirst, { type: "StockReserved" }, at(9_000));
    expect(d.order).toMatchObject({
      status: "CONFIRMED",
      stock: "committing",
      payment: "capturing",
      paymentId: "pay-1",
      deadline: null,
    });
    expect(d.commands).toEqual([
      { type: "CapturePayment", data: { orderId } },
      { type: "CommitStock", data: { orderId } },
    ]);
    expect(d.events).toEqual([
      {
        type: "OrderConfirmed",
        data: { orderId, userId, total: { currencyCode: "USD", amountMinor: 39700n } },
      },
    ]);
  });

  it("voids the payment when the stock is rejected, and rejects the order", () => {
    const d = decide(authorizedFirst, { type: "StockRejected", reason: "TENT: 0 left" }, at(9_000));
    const reason = "not enough stock: TENT: 0 left";
    expect(d.order).toMatchObject({ status: "REJECTED", stock: "rejected", payment: "voiding", reason });
    expect(d.commands).toEqual([{ type: "VoidPayment", data: { orderId, reason } }]);
    expect(d.events).toEqual([{ type: "OrderRejected", data: { orderId, userId, reason } }]);
  });

  it("voids the payment at its deadline and is cancelled for want of stock", () => {
    expect(decide(authorizedFirst, { type: "Timeout" }, at(1_000 + step - 1)).order).toBe(authorizedFirst);
    const d = decide(authorizedFirst, { type: "Timeout" }, at(1_000 + step));
    const reason = "timed out waiting for the stock reservation";
    expect(d.order).toMatchObject({
      status: "CANCELLED",
      payment: "voiding",
      reasonCode: "reservation-timeout",
    });
    expect(d.commands).toEqual([{ type: "VoidPayment", data: { orderId, reason } }]);
  });

  it("voids the payment when the customer cancels, then releases stock reserved too late, once", () => {
    expect(cancelledAuthorized).toMatchObject({
      status: "CANCELLED",
      payment: "voiding",
      stock: "requested",
    });
    const late = run(cancelledAuthorized, { type: "StockReserved" }, { type: "StockReserved" });
    expect(types(late)).toEqual(["ReleaseStock"]);
    expect(late.order).toMatchObject({ status: "CANCELLED", stock: "releasing" });
  });

  it.each([
    { type: "PaymentAuthorized", paymentId: "pay-1" },
    { type: "PaymentDeclined", reason: "x" },
    { type: "PaymentCaptured", paymentId: "pay-1" },
    { type: "PaymentVoided", paymentId: "pay-1" },
    { type: "StockReleased" },
  ] as const)("ignores a duplicate or impossible $type", (input) => {
    expect(decide(authorizedFirst, input, at(2_000))).toEqual({
      order: authorizedFirst,
      commands: [],
      events: [],
    });
  });
});

describe("an order rejected by one answer before the other arrives", () => {
  it("releases stock reserved after the payment was declined, once", () => {
    const d = run(
      pending,
      { type: "PaymentDeclined", reason: "" },
      { type: "StockReserved" },
      { type: "StockReserved" },
    );
    expect(types(d)).toEqual(["OrderRejected", "ReleaseStock"]);
    expect(d.order).toMatchObject({ status: "REJECTED", stock: "releasing", payment: "declined" });
  });

  it("voids a payment authorized after the stock was rejected, once", () => {
    const d = run(
      pending,
      { type: "StockRejected", reason: "" },
      { type: "PaymentAuthorized", paymentId: "pay-2" },
      { type: "PaymentAuthorized", paymentId: "pay-2" },
    );
    expect(types(d)).toEqual(["OrderRejected", "VoidPayment"]);
    expect(d.order).toMatchObject({ status: "REJECTED", payment: "voiding", paymentId: "pay-2" });
  });
});
