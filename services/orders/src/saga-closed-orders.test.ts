import { describe, expect, it } from "vitest";
import { decide } from "./saga.ts";
import {
  at,
  cancelledPending,
  cancelledReserved,
  captured,
  confirmed,
  expired,
  orderId,
  pending,
  rejectedForPayment,
  rejectedForStock,
  run,
  step,
  types,
} from "./testing/saga-fixtures.ts";

// The saga once an order is confirmed, rejected or cancelled: what late answers still do.

describe("decide once CONFIRMED", () => {
  it("records the capture", () => {
    const d = decide(confirmed, { type: "PaymentCaptured", paymentId: "pay-1" }, at(20_000));
    expect(d.order).toMatchObject({ status: "CONFIRMED", payment: "captured" });
    expect(types(d)).toEqual([]);
  });

  it("records a reservation that expired before CommitStock arrived, sending nothing", () => {
    const d = decide(confirmed, { type: "StockReleased" }, at(20_000));
    expect(d.order).toMatchObject({ status: "CONFIRMED", stock: "released" });
    expect(types(d)).toEqual([]);
  });

  it("refuses to be cancelled", () => {
    expect(() => decide(confirmed, { type: "Cancel" }, at(1))).toThrow(
      expect.objectContaining({ code: "failed_precondition", message: expect.stringMatching(/confirmed/) }),
    );
    expect(() => decide(captured, { type: "Cancel" }, at(1))).toThrow(
      expect.objectContaining({ code: "failed_precondition" }),
    );
  });

  it("sends nothing for a duplicate authorization, so the customer is captured once", () => {
    expect(decide(confirmed, { type: "PaymentAuthorized", paymentId: "pay-1" }, at(1)).order).toBe(confirmed);
  });
});

describe("decide once REJECTED", () => {
  it("refuses to be cancelled, saying why it was rejected", () => {
    expect(() => decide(rejectedForStock, { type: "Cancel" }, at(1))).toThrow(
      expect.objectContaining({
        code: "failed_precondition",
        message: expect.stringMatching(/not enough stock/),
      }),
    );
  });

  it("records the release it asked for after a declined payment", () => {
    const d = decide(rejectedForPayment, { type: "StockReleased" }, at(1));
    expect(d.order).toMatchObject({ status: "REJECTED", stock: "released" });
    expect(types(d)).toEqual([]);
  });
});

describe("decide once CANCELLED: late answers are compensated once", () => {
  it("releases stock reserved after the order was cancelled, once", () => {
    const d = run(cancelledPending, { type: "StockReserved" }, { type: "StockReserved" });
    expect(d.order).toMatchObject({ status: "CANCELLED", stock: "releasing", payment: "requested" });
    expect(d.commands).toEqual([
      { type: "ReleaseStock", data: { orderId, reason: "cancelled by the customer" } },
    ]);
    expect(d.events).toEqual([]);
  });

  it("also releases stock reserved after a stock timeout", () => {
    const timedOut = decide(pending, { type: "Timeout" }, at(step)).order;
    expect(types(run(timedOut, { type: "StockReserved" }))).toEqual(["ReleaseStock"]);
  });

  it("records a late stock rejection without sending anything", () => {
    const d = decide(cancelledPending, { type: "StockRejected", reason: "x" }, at(1));
    expect(d.order).toMatchObject({ status: "CANCELLED", stock: "rejected" });
    expect(types(d)).toEqual([]);
  });

  it("voids a payment authorized after the order was cancelled, once", () => {
    const d = run(
      cancelledReserved,
      { type: "PaymentAuthorized", paymentId: "pay-9" },
      { type: "PaymentAuthorized", paymentId: "pay-9" },
    );
    expect(d.order).toMatchObject({ status: "CANCELLED", payment: "voiding", paymentId: "pay-9" });
    expect(d.commands).toEqual([
      { type: "VoidPayment", data: { orderId, reason: "cancelled by the customer" } },
    ]);
    expect(d.events).toEqual([]);
    expect(decide(d.order, { type: "PaymentVoided", paymentId: "pay-9" }, at(9)).order.payment).toBe(
      "voided",
    );
  });

  it("voids a payment authorized after the reservation expired", () => {
    const d = decide(expired, { type: "PaymentAuthorized", paymentId: "pay-2" }, at(1));
    expect(d.commands).toEqual([
      {
        type: "VoidPayment",
        data: { orderId, reason: "the stock reservation expired before the payment was authorized" },
      },
    ]);
    expect(d.order.status).toBe("CANCELLED");
  });

  it("records a late decline without sending anything", () => {
    const d = decide(cancelledReserved, { type: "PaymentDeclined", reason: "x" }, at(1));
    expect(d.order).toMatchObject({ status: "CANCELLED", payment: "declined" });
    expect(types(d)).toEqual([]);
  });

  it("records the release it asked for", () => {
    expect(decide(cancelledReserved, { type: "StockReleased" }, at(1)).order.stock).toBe("released");
  });

  it("accepts a repeated cancel and changes nothing", () => {
    expect(decide(cancelledReserved, { type: "Cancel" }, at(1))).toEqual({
      order: cancelledReserved,
      commands: [],
      events: [],
    });
  });
});
