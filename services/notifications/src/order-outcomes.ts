import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderRejectedSchema,
} from "@tessera/contracts/orders/v1";
import type { EventHandler, Logger } from "@tessera/kit";
import { composeMessage, type OrderOutcome } from "./messages.ts";
import type { NotificationStore } from "./notification-store.ts";

/** The order events a user hears about. */
export const orderOutcomeEvents = [OrderConfirmedSchema, OrderRejectedSchema, OrderCancelledSchema] as const;

/**
 * The "order-outcomes" subscription: stores the message for the order's user, in the transaction
 * that records the event as applied. Only stores: the mailer sends it after the commit, as an
 * e-mail cannot be rolled back. The unique (order_id, kind) keeps one message per outcome even when
 * orders publishes the same outcome twice under different event ids.
 */
export function recordOrderOutcome(
  store: NotificationStore,
  log?: Logger,
): EventHandler<typeof orderOutcomeEvents> {
  return async ({ envelope, data }, tx) => {
    let outcome: OrderOutcome;
    switch (data.$typeName) {
      case "tessera.orders.v1.OrderConfirmed":
        outcome = { kind: "order_confirmed", orderId: data.orderId, userId: data.userId, total: data.total };
        break;
      case "tessera.orders.v1.OrderRejected":
        outcome = { kind: "order_rejected", orderId: data.orderId, userId: data.userId, reason: data.reason };
        break;
      case "tessera.orders.v1.OrderCancelled":
        outcome = {
          kind: "order_cancelled",
          orderId: data.orderId,
          userId: data.userId,
          reason: data.reason,
        };
        break;
    }
    const inserted = await store.insert(tx, composeMessage(outcome));
    if (!inserted) {
      log?.info({ "event.id": envelope.id, "order.id": outcome.orderId }, "order outcome already notified");
    }
  };
}
