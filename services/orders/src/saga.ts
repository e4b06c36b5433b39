import { ServiceError } from "@tessera/kit";
import { declineReasonOf } from "@tessera/contracts/reasons";
import type { Order, OrderReasonCode } from "./order.ts";
import {
  cancelled,
  rejected,
  releaseStock,
  stockLines,
  total,
  voidPayment,
  type Command,
  type OrderEvent,
} from "./saga-messages.ts";

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

/**
 * How long inventory holds the stock: long enough to outlive both steps that follow the hold
 * (waiting for it to be reported, waiting for payment) and the CommitStock after them, so a hold
 * does not expire under an order that is about to be confirmed.
 */
export function reservationSeconds(stepTimeoutMs: number): number {
  return Math.max(1, Math.ceil((3 * stepTimeoutMs) / 1000));
}

/** A new PENDING order: OrderPlaced, and ReserveStock for its lines. */
export function begin(placed: NewOrder, { now, stepTimeoutMs }: SagaSettings): Decision {
  const order: Order = {
    ...placed,
    status: "PENDING",
    reason: "",
    reasonCode: "",
    stock: "requested",
    payment: "none",
    paymentId: "",
    deadline: new Date(now.getTime() + stepTimeoutMs),
    version: 0,
    createdAt: now,
    updatedAt: now,
  };
  return {
    order,
    events: [
      {
        type: "OrderPlaced",
        data: {
          orderId: order.id,
          userId: order.userId,
          total: total(order),
          cartId: order.cartId,
          items: order.lines.map(({ productId, quantity }) => ({ productId, quantity })),
        },
      },
    ],
    commands: [
      {
        type: "ReserveStock",
        data: {
          orderId: order.id,
          lines: stockLines(order.lines),
          // Both fields: consumers that predate `expire_after` read the seconds.
          expireAfterSeconds: reservationSeconds(stepTimeoutMs),
          expireAfter: { seconds: BigInt(reservationSeconds(stepTimeoutMs)) },
        },
      },
    ],
  };
}

export function decide(order: Order, input: SagaInput, settings: SagaSettings): Decision {
  switch (input.type) {
    case "StockReserved":
      return stockReserved(order, settings);
    case "StockRejected":
      return stockRejected(order, input.reason);
    case "StockReleased":
      return stockReleased(order);
    case "PaymentAuthorized":
      return paymentAuthorized(order, input.paymentId);
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

function stockReserved(order: Order, { now, stepTimeoutMs }: SagaSettings): Decision {
  if (order.stock !== "requested") return unchanged(order);
  if (order.status !== "PENDING") {
    // The order ended while inventory was still reserving: give the stock straight back.
    return change(order, { stock: "releasing" }, [releaseStock(order, order.reason)]);
  }
  return change(
    order,
    {
      status: "STOCK_RESERVED",
      stock: "reserved",
      payment: "requested",
      deadline: new Date(now.getTime() + stepTimeoutMs),
    },
    [
      {
        type: "AuthorizePayment",
        data: { orderId: order.id, userId: order.userId, amount: total(order), cardToken: order.cardToken },
      },
    ],
  );
}

function stockRejected(order: Order, reason: string): Decision {
  if (order.stock !== "requested") return unchanged(order);
  if (order.status !== "PENDING") return change(order, { stock: "rejected" });
  const why = `not enough stock${reason ? `: ${reason}` : ""}`;
  return change(
    order,
    { status: "REJECTED", stock: "rejected", reason: why, reasonCode: "out-of-stock", deadline: null },
    [],
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

function paymentAuthorized(order: Order, paymentId: string): Decision {
  if (order.payment !== "requested") return unchanged(order);
  if (order.status !== "STOCK_RESERVED") {
    // Authorized after the order ended: drop the hold on the customer's card.
    return change(order, { payment: "voiding", paymentId }, [voidPayment(order, order.reason)]);
  }
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
  if (order.status !== "STOCK_RESERVED") return change(order, { payment: "declined" });
  const why = `payment declined${reason ? `: ${reason}` : ""}`;
  return change(
    order,
    {
      status: "REJECTED",
      stock: "releasing",
      payment: "declined",
      reason: why,
      reasonCode: declineReasonOf(reason).code,
      deadline: null,
    },
    [releaseStock(order, why)],
    [rejected(order, why)],
  );
}

function timeout(order: Order, now: Date): Decision {
  if (order.deadline === null || order.deadline.getTime() > now.getTime()) return unchanged(order);
  switch (order.status) {
    case "PENDING":
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

/** Ends a waiting order, compensating what is held: the stock, if it was reserved. */
function cancel(order: Order, code: OrderReasonCode, why: string): Decision {
  const held = order.stock === "reserved";
  return change(
    order,
    {
      status: "CANCELLED",
      reason: why,
      reasonCode: code,
      deadline: null,
      ...(held ? { stock: "releasing" } : {}),
    },
    held ? [releaseStock(order, why)] : [],
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
  // The card token is needed only for the AuthorizePayment that leaving PENDING sends.
  if (next.status !== "PENDING") next.cardToken = "";
  return { order: next, commands, events };
}

const unchanged = (order: Order): Decision => ({ order, commands: [], events: [] });
