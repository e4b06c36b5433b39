import {
  StockRejectedSchema,
  StockReleasedSchema,
  StockReservedSchema,
} from "@tessera/contracts/inventory/v1";
import {
  PaymentAuthorizedSchema,
  PaymentCapturedSchema,
  PaymentDeclinedSchema,
  PaymentVoidedSchema,
} from "@tessera/contracts/payments/v1";
import { isUuid, ServiceError, type EventHandler } from "@tessera/kit";
import type { SagaInput } from "./saga.ts";
import type { SagaRunner } from "./saga-runner.ts";

/** The answers of inventory and payments that move the saga. */
export const sagaEvents = [
  StockReservedSchema,
  StockRejectedSchema,
  StockReleasedSchema,
  PaymentAuthorizedSchema,
  PaymentDeclinedSchema,
  PaymentCapturedSchema,
  PaymentVoidedSchema,
] as const;

type SagaEvent = Parameters<EventHandler<typeof sagaEvents>>[0]["data"];

/**
 * The subscription handler: applies each answer to its order inside the transaction that records
 * the event as applied (so it takes effect once). An event for an unknown order throws, so it is
 * retried and then kept as a dead letter rather than silently dropped.
 */
export function sagaHandler(saga: SagaRunner): EventHandler<typeof sagaEvents> {
  return async ({ envelope, data }, tx) => {
    const orderId = data.orderId || envelope.subject;
    if (!isUuid(orderId)) {
      throw new ServiceError("invalid_argument", `${envelope.type} ${envelope.id} names no order id`);
    }
    const order = await saga.advance(tx, orderId, sagaInput(data));
    if (!order)
      throw new ServiceError("not_found", `${envelope.type} ${envelope.id}: order ${orderId} not found`);
  };
}

export function sagaInput(data: SagaEvent): SagaInput {
  switch (data.$typeName) {
    case "tessera.inventory.v1.StockReserved":
      return { type: "StockReserved" };
    case "tessera.inventory.v1.StockRejected":
      return { type: "StockRejected", reason: data.reason };
    case "tessera.inventory.v1.StockReleased":
      return { type: "StockReleased" };
    case "tessera.payments.v1.PaymentAuthorized":
      return { type: "PaymentAuthorized", paymentId: data.paymentId };
    case "tessera.payments.v1.PaymentDeclined":
      return { type: "PaymentDeclined", reason: data.reason };
    case "tessera.payments.v1.PaymentCaptured":
      return { type: "PaymentCaptured", paymentId: data.paymentId };
    case "tessera.payments.v1.PaymentVoided":
      return { type: "PaymentVoided", paymentId: data.paymentId };
  }
}
