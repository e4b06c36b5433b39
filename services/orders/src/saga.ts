import { ServiceError } from "@tessera/kit";
import { declineReasonOf } from "@tessera/contracts/reasons";
import { finalStatuses, type Order, type OrderReasonCode } from "./order.ts";
import {
  authorizePayment,
  cancelled,
  rejected,
  releaseStock,
  total,
  voidPayment,
  type Command,
  type OrderEvent,
} from "./saga-messages.ts";

export { begin, reservationSeconds } from "./saga-begin.ts";

/**
 * The checkout saga as a pure function: `decide(order, input)` says what the order becomes and
 * which commands and events to publish. It does no I/O; the caller saves the order and publishes
 * the messages in one transaction. Every input is safe to apply twice or late: an answer the order
 * no longer waits for changes nothing, unless it left something held (stock reserved or a payment
 * authorized after the order ended) — then it is released or voided, once.
 */

/** What moves an order: an answer from inventory or payments, its step's deadline, or the customer. */
export type SagaInput =
  | { type: "StockReserved" }
  | { type: "StockRejected"; reason: string }
  | { type: "StockReleased" }
  | { type: "PaymentAuthorized"; paymentId: string }
  | { type: "PaymentDeclined"; reason: string }
  | { type: "PaymentCaptured"; paymentId: string }
  | { type: "PaymentVoided"; paymentId: string }
  | { type: "Timeout" }
  | { type: "Cancel" };

export interface SagaSettings {
  now: Date;
  /** How long an order waits for each answer before the saga gives up and compensates. */
  stepTimeoutMs: number;
}

/** `order` is the input object itself when nothing changes, so callers can skip the write. */
export interface Decision {
  order: Order;
  commands: Command[];
  events: OrderEvent[];
}

export type NewOrder = Pick<
  Order,
  "id" | "userId" | "cartId" | "lines" | "currency" | "totalMinor" | "cardToken"
>;

export function decide(order: Order, input: SagaInput, settings: SagaSettings): Decision {
  switch (input.type) {
    case "StockReserved":
      return stockReserved(order, settings);
    case "StockRejected":
      return stockRejected(order, input.reason);
    case "StockReleased":
      return stockReleased(order);
    case "PaymentAuthorized":
      return paymentAuthorized(order, input.paymentId, settings);
    case "PaymentDeclined":
      return paymentDeclined(order, input.reason);
    case "PaymentCaptured":
      return order.payment === "capturing" ? change(order, { payment: "captured" }) : unchanged(order);
    case "PaymentVoided":
      return order.payment === "voiding" ? change(order, { payment: "voided" }) : unchanged(order);
    case "Timeout":
      return timeout(order, settings.now);
    case "Cancel":
      return cancelByCustomer(order);
  }
}

/** Whether the order still waits for inventory or payments (it has a deadline). */
export const waiting = (order: Order): boolean => !finalStatuses.has(order.status);

function stockReserved(order: Order, { now, stepTimeoutMs }: SagaSettings): Decision {
  if (order.stock !== "requested") return unchanged(order);
  // The order ended while inventory was still reserving: give the stock straight back.
  if (!waiting(order)) return change(order, { stock: "releasing" }, [releaseStock(order, order.reason)]);
  if (order.payment === "authorized") return confirm(order, order.paymentId);
  const deadline = new Date(now.getTime() + stepTimeoutMs);
  if (order.payment === "none") {
    // Placed before both requests went out together: its payment is asked for only now.
    return change(order, { status: "STOCK_RESERVED", stock: "reserved", payment: "requested", deadline }, [
      authorizePayment(order, order.cardToken),
    ]);
  }
  return change(order, { status: "STOCK_RESERVED", stock: "reserved", deadline });
}

function stockRejected(order: Order, reason: string): Decision {
  if (order.stock !== "requested") return unchanged(order);
  if (!waiting(order)) return change(order, { stock: "rejected" });
  const why = `not enough stock${reason ? `: ${reason}` : ""}`;
  // A payment authorized meanwhile is voided now; one still being authorized, when it answers.
  const held = order.payment === "authorized";
  return change(
    order,
    {
      status: "REJECTED",
      stock: "rejected",
      reason: why,
      reasonCode: "out-of-stock",
      deadline: null,
      ...(held ? { payment: "voiding" } : {}),
    },
    held ? [voidPayment(order, why)] : [],
    [rejected(order, why)],
  );
}

function stockReleased(order: Order): Decision {
  if (order.stock === "requested" || order.stock === "rejected" || order.stock === "released") {
    return unchanged(order);
  }
  if (order.status === "STOCK_RESERVED") {
    // The hold expired while payment was being authorized: the order cannot be fulfilled. A payment
    // authorized meanwhile is voided when its answer arrives (see paymentAuthorized).
    const why = "the stock reservation expired before the payment was authorized";
    return change(
      order,
      {
        status: "CANCELLED",
        stock: "released",
        reason: why,
        reasonCode: "reservation-expired",
        deadline: null,
      },
      [],
      [cancelled(order, why)],
    );
  }
  return change(order, { stock: "released" });
}

function paymentAuthorized(order: Order, paymentId: string, { now, stepTimeoutMs }: SagaSettings): Decision {
  if (order.payment !== "requested") return unchanged(order);
  // Authorized after the order ended: drop the hold on the customer's card.
  if (!waiting(order))
    return change(order, { payment: "voiding", paymentId }, [voidPayment(order, order.reason)]);
  if (order.stock === "reserved") return confirm(order, paymentId);
  // The payment answered first: wait for the stock, the capture held back until it is reserved.
  const deadline = new Date(now.getTime() + stepTimeoutMs);
  return change(order, { status: "PAYMENT_AUTHORIZED", payment: "authorized", paymentId, deadline });
}

/** Both are secured: capture the payment and commit the stock in the transaction that confirms. */
function confirm(order: Order, paymentId: string): Decision {
  return change(
    order,
    { status: "CONFIRMED", stock: "committing", payment: "capturing", paymentId, deadline: null },
    [
      { type: "CapturePayment", data: { orderId: order.id } },
      { type: "CommitStock", data: { orderId: order.id } },
    ],
    [{ type: "OrderConfirmed", data: { orderId: order.id, userId: order.userId, total: total(order) } }],
  );
}

function paymentDeclined(order: Order, reason: string): Decision {
  if (order.payment !== "requested") return unchanged(order);
  if (!waiting(order)) return change(order, { payment: "declined" });
  const why = `payment declined${reason ? `: ${reason}` : ""}`;
  // Stock reserved meanwhile is released now; stock still being reserved, when inventory answers.
  const held = order.stock === "reserved";
  return change(
    order,
    {
      status: "REJECTED",
      payment: "declined",
      reason: why,
      reasonCode: declineReasonOf(reason).code,
      deadline: null,
      ...(held ? { stock: "releasing" } : {}),
    },
    held ? [releaseStock(order, why)] : [],
    [rejected(order, why)],
  );
}

function timeout(order: Order, now: Date): Decision {
  if (order.deadline === null || order.deadline.getTime() > now.getTime()) return unchanged(order);
  switch (order.status) {
    case "PENDING":
    case "PAYMENT_AUTHORIZED":
      return cancel(order, "reservation-timeout", "timed out waiting for the stock reservation");
    case "STOCK_RESERVED":
      return cancel(order, "payment-timeout", "timed out waiting for the payment authorization");
    case "CONFIRMED":
    case "REJECTED":
    case "CANCELLED":
      return unchanged(order);
  }
}

function cancelByCustomer(order: Order): Decision {
  switch (order.status) {
    case "PENDING":
    case "STOCK_RESERVED":
    case "PAYMENT_AUTHORIZED":
      return cancel(order, "cancelled-by-user", "cancelled by the customer");
    case "CANCELLED":
      // Cancelling is idempotent: a retried request finds its work done.
      return unchanged(order);
    case "CONFIRMED":
      throw new ServiceError(
        "failed_precondition",
        `order ${order.id} is confirmed and its payment is being captured; it can no longer be cancelled`,
        { reason: "order-not-cancellable", metadata: { status: order.status } },
      );
    case "REJECTED":
      throw new ServiceError("failed_precondition", `order ${order.id} was rejected (${order.reason})`, {
        reason: "order-not-cancellable",
        metadata: { status: order.status },
      });
  }
}

/**
 * Ends a waiting order, compensating what is held: the stock if it was reserved, the payment if it
 * was authorized. What is still on its way is given back when its answer arrives.
 */
function cancel(order: Order, code: OrderReasonCode, why: string): Decision {
  const stockHeld = order.stock === "reserved";
  const paymentHeld = order.payment === "authorized";
  return change(
    order,
    {
      status: "CANCELLED",
      reason: why,
      reasonCode: code,
      deadline: null,
      ...(stockHeld ? { stock: "releasing" } : {}),
      ...(paymentHeld ? { payment: "voiding" } : {}),
    },
    [...(stockHeld ? [releaseStock(order, why)] : []), ...(paymentHeld ? [voidPayment(order, why)] : [])],
    [cancelled(order, why)],
  );
}

function change(
  order: Order,
  changes: Partial<Order>,
  commands: Command[] = [],
  events: OrderEvent[] = [],
): Decision {
  const next = { ...order, ...changes };
  // A card token is kept only by a PENDING order placed before AuthorizePayment went out at once.
  if (next.status !== "PENDING") next.cardToken = "";
  return { order: next, commands, events };
}

const unchanged = (order: Order): Decision => ({ order, commands: [], events: [] });
