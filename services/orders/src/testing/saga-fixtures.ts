import type { Order } from "../order.ts";
import { begin, decide, type Decision, type SagaInput, type SagaSettings } from "../saga.ts";

/** Shared fixtures of the saga's unit tests: a fixed clock, one order, and every state it can reach. */
export const t0 = new Date("2025-03-01T12:00:00.000Z");
export const step = 30_000;
export const at = (ms: number): SagaSettings => ({ now: new Date(t0.getTime() + ms), stepTimeoutMs: step });
export const orderId = "0195a5c0-0000-7000-8000-000000000001";
export const userId = "user-1";

export const placed = begin(
  {
    id: orderId,
    userId,
    cartId: "0195a5c0-0000-7000-8000-0000000000c1",
    lines: [
      { productId: "p1", sku: "TENT", name: "Tent", quantity: 1, unitPriceMinor: 34900n },
      { productId: "p2", sku: "MUG", name: "Mug", quantity: 2, unitPriceMinor: 2400n },
    ],
    currency: "USD",
    totalMinor: 39700n,
    cardToken: "tok_visa_approve",
  },
  at(0),
);

/** Applies inputs in turn (each one second after the last), collecting every message. */
export function run(order: Order, ...inputs: SagaInput[]): Decision {
  let result: Decision = { order, commands: [], events: [] };
  inputs.forEach((input, i) => {
    const next = decide(result.order, input, at((i + 1) * 1000));
    result = {
      order: next.order,
      commands: [...result.commands, ...next.commands],
      events: [...result.events, ...next.events],
    };
  });
  return result;
}

export const types = (d: Decision) => [...d.events, ...d.commands].map((m) => m.type);

export const all: SagaInput[] = [
  { type: "StockReserved" },
  { type: "StockRejected", reason: "TENT: 0 left" },
  { type: "StockReleased" },
  { type: "PaymentAuthorized", paymentId: "pay-1" },
  { type: "PaymentDeclined", reason: "insufficient funds" },
  { type: "PaymentCaptured", paymentId: "pay-1" },
  { type: "PaymentVoided", paymentId: "pay-1" },
  { type: "Timeout" },
  { type: "Cancel" },
];

// Every state an order can reach, reached through decide itself.
export const pending = placed.order;
export const reserved = run(pending, { type: "StockReserved" }).order;
export const confirmed = run(reserved, { type: "PaymentAuthorized", paymentId: "pay-1" }).order;
export const captured = run(confirmed, { type: "PaymentCaptured", paymentId: "pay-1" }).order;
export const rejectedForStock = run(pending, { type: "StockRejected", reason: "" }).order;
export const rejectedForPayment = run(reserved, { type: "PaymentDeclined", reason: "" }).order;
export const cancelledPending = run(pending, { type: "Cancel" }).order;
export const cancelledReserved = run(reserved, { type: "Cancel" }).order;
export const expired = run(reserved, { type: "StockReleased" }).order;
export const authorizedFirst = run(pending, { type: "PaymentAuthorized", paymentId: "pay-1" }).order;
export const cancelledAuthorized = run(authorizedFirst, { type: "Cancel" }).order;
/** Placed before AuthorizePayment went out with ReserveStock: asked for its payment once stock is held. */
export const placedEarlier: Order = { ...pending, payment: "none", cardToken: "tok_visa_approve" };
export const states: Record<string, Order> = {
  pending,
  reserved,
  confirmed,
  captured,
  rejectedForStock,
  rejectedForPayment,
  cancelledPending,
  cancelledReserved,
  expired,
  authorizedFirst,
  confirmedPaymentFirst: run(authorizedFirst, { type: "StockReserved" }).order,
  rejectedForStockAfterPayment: run(authorizedFirst, { type: "StockRejected", reason: "" }).order,
  rejectedForPaymentFirst: run(pending, { type: "PaymentDeclined", reason: "" }).order,
  cancelledAuthorized,
  placedEarlier,
  reservedEarlier: run(placedEarlier, { type: "StockReserved" }).order,
  releasedAfterRejection: run(rejectedForPayment, { type: "StockReleased" }).order,
  voidedAfterCancel: run(
    cancelledReserved,
    { type: "PaymentAuthorized", paymentId: "p" },
    { type: "PaymentVoided", paymentId: "p" },
  ).order,
};
