import type { AuthorizeRequest, CaptureRequest, RefundRequest, VoidRequest } from "./card-processor.ts";
import type { AuthorizeCommand, Money, Payment } from "./payment.ts";

/**
 * A call to the card processor, recorded before it is made (see migrations/003_processor_calls.sql):
 *
 *   pending ──made, outcome recorded──▶ settled
 *      │  └─transient failure, crash─▶ pending (made again later, same idempotency key)
 *      └────processor or domain refusal──▶ failed (logged; nothing moved)
 *
 * What the call sends is built when it is made, from the call and the order's payment as it is
 * then; the processor's idempotency keys are derived from the order or payment, never from an
 * attempt, so every repetition sends the same request and gets the first answer back.
 */
export type CallKind = "authorize" | "capture" | "void" | "refund";

export interface NewCall {
  orderId: string;
  kind: CallKind;
  /** Unique: a repeated command or request finds its call instead of recording another. */
  intentKey: string;
  /** authorize: the payer. */
  userId: string;
  /** authorize: the amount to hold; refund: the amount to give back. */
  amount?: Money;
  /** authorize only; erased once the call is settled. */
  cardToken: string;
  /** refund: the refund's id, and the caller's idempotency key. */
  refundId?: string;
  refundKey: string;
}

export interface ProcessorCall extends NewCall {
  id: string;
  status: "pending" | "settled" | "failed";
  /** Times it was taken up, this one included. */
  attempts: number;
  /** Transient failures recorded before this attempt. */
  failures: number;
  /** Non-empty once an authorization is given up: only its technical cancel is made from then on. */
  abandonReason: string;
  lastError: string;
  /** The trace the call was recorded in; '' when none. */
  traceparent: string;
}

export const authorizeCall = (command: AuthorizeCommand): NewCall => ({
  orderId: command.orderId,
  kind: "authorize",
  intentKey: `authorize:${command.orderId}`,
  userId: command.userId,
  amount: command.amount,
  cardToken: command.cardToken,
  refundKey: "",
});

export const captureCall = (orderId: string): NewCall => settlement(orderId, "capture");

export const voidCall = (orderId: string): NewCall => settlement(orderId, "void");

export const refundCall = (orderId: string, amount: Money, refundId: string, key: string): NewCall => ({
  orderId,
  kind: "refund",
  intentKey: refundIntentKey(orderId, key),
  userId: "",
  amount,
  cardToken: "",
  refundId,
  refundKey: key,
});

export const refundIntentKey = (orderId: string, key: string) => `refund:${orderId}:${key}`;

const settlement = (orderId: string, kind: "capture" | "void"): NewCall => ({
  orderId,
  kind,
  intentKey: `${kind}:${orderId}`,
  userId: "",
  cardToken: "",
  refundKey: "",
});

/** Why an authorization is given up, as the decline reason the saga sees. */
export type AbandonReason = "processor_timeout" | "processor_unavailable" | "processor_rejected";

/** Transient failures of one authorization before it is given up (cancelled and declined). */
export const maxAuthorizeFailures = 4;

/**
 * What each call sends. The idempotency keys come from the order or the payment (and the caller's
 * key for a refund), never from an attempt: every repetition of a call is the same request.
 */
export const processorRequests = {
  authorize: (call: ProcessorCall, amount: Money): AuthorizeRequest => ({
    idempotencyKey: `authorize:${call.orderId}`,
    merchantReference: call.orderId,
    cardToken: call.cardToken,
    currency: amount.currency,
    amountMinor: amount.amountMinor,
  }),
  capture: (payment: Payment): CaptureRequest => ({
    idempotencyKey: `capture:${payment.id}`,
    authorizationId: payment.authorizationId,
    amountMinor: payment.amountMinor,
  }),
  void: (payment: Payment): VoidRequest => ({
    idempotencyKey: `void:${payment.id}`,
    authorization: { authorizationId: payment.authorizationId },
  }),
  /** A technical cancel: whatever the processor holds for the order, by merchant reference. */
  cancel: (orderId: string): VoidRequest => ({
    idempotencyKey: `cancel:${orderId}`,
    authorization: { merchantReference: orderId },
  }),
  refund: (payment: Payment, call: ProcessorCall, amount: Money): RefundRequest => ({
    idempotencyKey: `refund:${payment.id}:${call.refundKey}`,
    authorizationId: payment.authorizationId,
    amountMinor: amount.amountMinor,
  }),
};
