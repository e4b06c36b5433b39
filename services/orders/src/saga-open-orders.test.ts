import { describe, expect, it } from "vitest";
import { begin, decide, reservationSeconds } from "./saga.ts";
import { at, orderId, pending, placed, reserved, step, t0, types, userId } from "./testing/saga-fixtures.ts";

// The saga from the order's placing until it is confirmed, rejected or cancelled.

/** The AuthorizePayment the fixture order sends, with the card it was placed with. */
const authorizeWithCard = {
  type: "AuthorizePayment",
  data: {
    orderId,
    userId,
    amount: { currencyCode: "USD", amountMinor: 39700n },
    cardToken: "tok_visa_approve",
  },
};

describe("begin", () => {
  it("places a PENDING order that asks for stock and payment at once, and keeps no card token", () => {
    expect(placed.order).toMatchObject({
      status: "PENDING",
      stock: "requested",
      payment: "requested",
      reason: "",
      cardToken: "",
      deadline: new Date(t0.getTime() + step),
    });
    expect(placed.events).toEqual([
      {
        type: "OrderPlaced",
        data: {
          orderId,
          userId,
          total: { currencyCode: "USD", amountMinor: 39700n },
          cartId: "0195a5c0-0000-7000-8000-0000000000c1",
          items: [
            { productId: "p1", quantity: 1 },
            { productId: "p2", quantity: 2 },
          ],
        },
      },
    ]);
    expect(placed.commands).toEqual([
      {
        type: "ReserveStock",
        data: {
          orderId,
          lines: [
            { sku: "TENT", quantity: 1 },
            { sku: "MUG", quantity: 2 },
          ],
          expireAfterSeconds: 90,
          expireAfter: { seconds: 90n },
        },
      },
      authorizeWithCard,
    ]);
  });

  it("reserves one line per SKU when the cart lists a SKU twice", () => {
    const line = { productId: "p", sku: "MUG", name: "Mug", quantity: 2, unitPriceMinor: 1n };
    const { commands } = begin({ ...pending, lines: [line, { ...line, quantity: 3 }] }, at(0));
    expect(commands[0]?.data).toMatchObject({ lines: [{ sku: "MUG", quantity: 5 }] });
  });

  it("holds stock for three steps, and at least a second", () => {
    expect(reservationSeconds(30_000)).toBe(90);
    expect(reservationSeconds(1_500)).toBe(5);
    expect(reservationSeconds(100)).toBe(1);
  });
});

describe("decide while PENDING (waiting for stock and payment)", () => {
  it("holds the stock and waits for the payment, with a fresh deadline and nothing to send", () => {
    const d = decide(pending, { type: "StockReserved" }, at(5_000));
    expect(d.order).toMatchObject({
      status: "STOCK_RESERVED",
      stock: "reserved",
      payment: "requested",
      deadline: new Date(t0.getTime() + 5_000 + step),
    });
    expect(types(d)).toEqual([]);
  });

  it("asks for the payment only now when the order was placed before both went out together", () => {
    const earlier = { ...pending, payment: "none" as const, cardToken: "tok_visa_approve" };
    const d = decide(earlier, { type: "StockReserved" }, at(5_000));
    expect(d.order).toMatchObject({ status: "STOCK_RESERVED", payment: "requested", cardToken: "" });
    expect(d.commands).toEqual([authorizeWithCard]);
  });

  it("holds the payment and waits for the stock when payments answers first", () => {
    const d = decide(pending, { type: "PaymentAuthorized", paymentId: "pay-1" }, at(5_000));
    expect(d.order).toMatchObject({
      status: "PAYMENT_AUTHORIZED",
      stock: "requested",
      payment: "authorized",
      paymentId: "pay-1",
      deadline: new Date(t0.getTime() + 5_000 + step),
    });
    expect(types(d)).toEqual([]);
  });

  it("rejects the order when the payment is declined before the stock answered, releasing nothing yet", () => {
    const d = decide(pending, { type: "PaymentDeclined", reason: "insufficient_funds" }, at(1));
    expect(d.order).toMatchObject({
      status: "REJECTED",
      stock: "requested",
      payment: "declined",
      reasonCode: "insufficient-funds",
      deadline: null,
    });
    expect(types(d)).toEqual(["OrderRejected"]);
  });

  it("rejects the order when stock is rejected, saying which SKUs were short", () => {
    const d = decide(pending, { type: "StockRejected", reason: "TENT: 0 left" }, at(1));
    expect(d.order).toMatchObject({
      status: "REJECTED",
      stock: "rejected",
      reason: "not enough stock: TENT: 0 left",
      deadline: null,
      cardToken: "",
    });
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([
      { type: "OrderRejected", data: { orderId, userId, reason: "not enough stock: TENT: 0 left" } },
    ]);
    expect(decide(pending, { type: "StockRejected", reason: "" }, at(1)).order.reason).toBe(
      "not enough stock",
    );
  });

  it("does not time out before its deadline", () => {
    expect(decide(pending, { type: "Timeout" }, at(step - 1)).order).toBe(pending);
  });

  it("is cancelled at its deadline, releasing nothing because nothing is known to be reserved", () => {
    const d = decide(pending, { type: "Timeout" }, at(step));
    expect(d.order).toMatchObject({
      status: "CANCELLED",
      stock: "requested",
      reason: "timed out waiting for the stock reservation",
      deadline: null,
      cardToken: "",
    });
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([
      {
        type: "OrderCancelled",
        data: { orderId, userId, reason: "timed out waiting for the stock reservation" },
      },
    ]);
  });

  it("is cancelled by the customer without compensation", () => {
    const d = decide(pending, { type: "Cancel" }, at(1));
    expect(d.order).toMatchObject({
      status: "CANCELLED",
      reason: "cancelled by the customer",
      deadline: null,
    });
    expect(types(d)).toEqual(["OrderCancelled"]);
  });

  it.each([
    { type: "StockReleased" },
    { type: "PaymentCaptured", paymentId: "x" },
    { type: "PaymentVoided", paymentId: "x" },
  ] as const)("ignores $type, which it never asked for", (input) => {
    expect(decide(pending, input, at(1))).toEqual({ order: pending, commands: [], events: [] });
  });
});

describe("decide while STOCK_RESERVED (waiting for payment)", () => {
  it("is confirmed when the payment is authorized, and sends CapturePayment and CommitStock", () => {
    const d = decide(reserved, { type: "PaymentAuthorized", paymentId: "pay-1" }, at(9_000));
    expect(d.order).toMatchObject({
      status: "CONFIRMED",
      stock: "committing",
      payment: "capturing",
      paymentId: "pay-1",
      deadline: null,
      reason: "",
    });
    expect(d.events).toEqual([
      {
        type: "OrderConfirmed",
        data: { orderId, userId, total: { currencyCode: "USD", amountMinor: 39700n } },
      },
    ]);
    expect(d.commands).toEqual([
      { type: "CapturePayment", data: { orderId } },
      { type: "CommitStock", data: { orderId } },
    ]);
  });

  it("releases stock when payment is declined, and rejects the order", () => {
    const d = decide(reserved, { type: "PaymentDeclined", reason: "card declined" }, at(9_000));
    expect(d.order).toMatchObject({
      status: "REJECTED",
      stock: "releasing",
      payment: "declined",
      reason: "payment declined: card declined",
      reasonCode: "card-declined",
      deadline: null,
    });
    expect(d.commands).toEqual([
      { type: "ReleaseStock", data: { orderId, reason: "payment declined: card declined" } },
    ]);
    expect(d.events).toEqual([
      { type: "OrderRejected", data: { orderId, userId, reason: "payment declined: card declined" } },
    ]);
  });

  it("releases stock at its deadline and is cancelled", () => {
    expect(decide(reserved, { type: "Timeout" }, at(1_000 + step - 1)).order).toBe(reserved);
    const d = decide(reserved, { type: "Timeout" }, at(1_000 + step));
    const reason = "timed out waiting for the payment authorization";
    expect(d.order).toMatchObject({ status: "CANCELLED", stock: "releasing", payment: "requested", reason });
    expect(d.commands).toEqual([{ type: "ReleaseStock", data: { orderId, reason } }]);
    expect(d.events).toEqual([{ type: "OrderCancelled", data: { orderId, userId, reason } }]);
  });

  it("releases stock when the customer cancels", () => {
    const d = decide(reserved, { type: "Cancel" }, at(2_000));
    expect(d.order).toMatchObject({
      status: "CANCELLED",
      stock: "releasing",
      reason: "cancelled by the customer",
    });
    expect(d.commands).toEqual([
      { type: "ReleaseStock", data: { orderId, reason: "cancelled by the customer" } },
    ]);
    expect(types(d)).toEqual(["OrderCancelled", "ReleaseStock"]);
  });

  it("is cancelled when its reservation expires, with nothing left to release", () => {
    const d = decide(reserved, { type: "StockReleased" }, at(2_000));
    const reason = "the stock reservation expired before the payment was authorized";
    expect(d.order).toMatchObject({ status: "CANCELLED", stock: "released", payment: "requested", reason });
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([{ type: "OrderCancelled", data: { orderId, userId, reason } }]);
  });

  it.each([
    { type: "StockReserved" },
    { type: "StockRejected", reason: "x" },
    { type: "PaymentCaptured", paymentId: "x" },
    { type: "PaymentVoided", paymentId: "x" },
  ] as const)("ignores a duplicate or impossible $type", (input) => {
    expect(decide(reserved, input, at(2_000))).toEqual({ order: reserved, commands: [], events: [] });
  });

  it.each([
    ["insufficient_funds", "insufficient-funds"],
    ["expired_card", "expired-card"],
    ["invalid_card", "invalid-card"],
    ["processor_timeout", "payment-timeout"],
    ["processor_unavailable", "payment-unavailable"],
    ["something new", "card-declined"],
  ])("rejects an order whose payment was declined with %s with the code %s", (declined, code) => {
    expect(decide(reserved, { type: "PaymentDeclined", reason: declined }, at(9_000)).order.reasonCode).toBe(
      code,
    );
  });
});
