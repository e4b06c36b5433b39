import { setTimeout as sleep } from "node:timers/promises";
import { newId, ServiceError, type Db } from "@tessera/kit";
import { refund, requireMoney, requireOrderId, type Money, type Payment } from "./payment.ts";
import type { PaymentStore } from "./payment-store.ts";
import { refundCall, refundIntentKey } from "./processor-call.ts";
import type { ProcessorCallStore } from "./processor-call-store.ts";

export interface RefundRequest {
  orderId: string;
  amount?: { currencyCode: string; amountMinor: bigint } | undefined;
  idempotencyKey: string;
}

export interface RefundsDeps {
  db: Db;
  payments: PaymentStore;
  calls: ProcessorCallStore;
  /** The longest a request waits for the processor's answer before it answers UNAVAILABLE. */
  waitMs: number;
  now?: () => Date;
}

/** How often a waiting request looks at its call. */
const pollMs = 20;

/**
 * Refunds (administration). A request records its refund as a processor call, in a transaction
 * of its own, and waits for the worker to make it and record the outcome (no network call inside
 * a transaction). The idempotency key makes a refund happen once: a request repeating a key finds
 * the refund, or its call still pending, and waits for that; a call interrupted by a crash or a
 * lost answer is made again with a processor key derived from it, so it never refunds twice.
 */
export class Refunds {
  readonly #deps: RefundsDeps;
  readonly #now: () => Date;

  constructor(deps: RefundsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Refunds part or all of a captured payment; PaymentRefunded. `signal` is the caller's deadline. */
  async refund(request: RefundRequest, signal?: AbortSignal): Promise<Payment> {
    const orderId = requireOrderId(request.orderId);
    const amount = requireMoney(request.amount, "amount");
    const key = request.idempotencyKey;
    if (key.length < 1 || key.length > 128) {
      throw new ServiceError("invalid_argument", "idempotency_key must be 1-128 characters");
    }
    const recorded = await this.#record(orderId, amount, key);
    return "payment" in recorded ? recorded.payment : this.#outcome(orderId, key, recorded.failures, signal);
  }

  /** The payment when the key's refund is done; otherwise its call (recorded now if new) to wait for. */
  async #record(
    orderId: string,
    amount: Money,
    key: string,
  ): Promise<{ payment: Payment } | { failures: number }> {
    const { db, payments, calls } = this.#deps;
    return db.tx(async (tx) => {
      await payments.lockOrder(tx, orderId);
      const payment = await payments.findByOrder(tx, orderId);
      if (!payment) throw new ServiceError("not_found", `order ${orderId} has no payment`);
      const previous = await payments.findRefund(tx, payment.id, key);
      const call = await calls.find(tx, refundIntentKey(orderId, key));
      const first = previous
        ? { currency: payment.currency, amountMinor: previous.amountMinor }
        : call?.amount;
      if (first && (first.amountMinor !== amount.amountMinor || first.currency !== amount.currency)) {
        throw new ServiceError(
          "invalid_argument",
          `idempotency_key ${key} was used for a refund of ${first.amountMinor} ${first.currency}`,
          { reason: "idempotency-key-reused" },
        );
      }
      if (previous) return { payment };
      if (call) return { failures: call.failures };
      // Refunds still on their way to the processor count as made: never more than was captured.
      const pending = (await calls.pending(tx, orderId))
        .filter((c) => c.kind === "refund")
        .reduce((sum, c) => sum + (c.amount?.amountMinor ?? 0n), 0n);
      const refundId = newId();
      refund({ ...payment, refundedMinor: payment.refundedMinor + pending }, amount, refundId, this.#now());
      await calls.record(tx, refundCall(orderId, amount, refundId, key));
      return { failures: 0 };
    });
  }

  /** Waits for the call's outcome: the payment refunded, a refusal, or its next failed attempt. */
  async #outcome(
    orderId: string,
    key: string,
    failuresBefore: number,
    signal?: AbortSignal,
  ): Promise<Payment> {
    const { payments, calls, waitMs } = this.#deps;
    const giveUp = signal
      ? AbortSignal.any([signal, AbortSignal.timeout(waitMs)])
      : AbortSignal.timeout(waitMs);
    const retry = "it is retried; repeat the request with the same idempotency_key for its outcome";
    for (;;) {
      const call = await calls.find(undefined, refundIntentKey(orderId, key));
      if (call?.status === "settled") {
        const payment = await payments.findByOrder(undefined, orderId);
        if (payment) return payment;
      }
      if (call?.status === "failed") {
        throw new ServiceError(
          "failed_precondition",
          `the card processor refused the refund: ${call.lastError}`,
          { reason: "refund-refused" },
        );
      }
      if (call && call.failures > failuresBefore) {
        throw new ServiceError(
          "unavailable",
          `the card processor did not answer the refund (${call.lastError}); ${retry}`,
        );
      }
      if (giveUp.aborted) {
        throw new ServiceError(
          "unavailable",
          `the refund is still on its way to the card processor; ${retry}`,
        );
      }
      await sleep(pollMs, undefined, { signal: giveUp }).catch(() => undefined);
    }
  }
}
