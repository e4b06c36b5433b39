import type { Order } from "./order.ts";
import type { Decision, NewOrder, SagaSettings } from "./saga.ts";
import { authorizePayment, stockLines, total } from "./saga-messages.ts";

/**
 * How long inventory holds the stock: long enough to outlive both steps that follow the hold
 * (waiting for it to be reported, waiting for payment) and the CommitStock after them, so a hold
 * does not expire under an order that is about to be confirmed.
 */
export function reservationSeconds(stepTimeoutMs: number): number {
  return Math.max(1, Math.ceil((3 * stepTimeoutMs) / 1000));
}

/**
 * A new PENDING order: OrderPlaced, and both requests at once — ReserveStock to inventory and
 * AuthorizePayment to payments — so checkout waits for the slower of the two, not their sum. The
 * card token travels in the command only; the order never stores it.
 */
export function begin(placed: NewOrder, { now, stepTimeoutMs }: SagaSettings): Decision {
  const order: Order = {
    ...placed,
    cardToken: "",
    status: "PENDING",
    reason: "",
    reasonCode: "",
    stock: "requested",
    payment: "requested",
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
      authorizePayment(order, placed.cardToken),
    ],
  };
}
