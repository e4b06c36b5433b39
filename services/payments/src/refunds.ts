import { PaymentRefundedSchema } from "@tessera/contracts/payments/v1";
import { newId, ServiceError, type Db } from "@tessera/kit";
import { deadline, processorFailure } from "./card-processor.ts";
import { refund, requireMoney, requireOrderId, type Payment } from "./payment.ts";
import type { PaymentsDeps } from "./saga-commands.ts";

export interface RefundRequest {
  orderId: string;
  amount?: { currencyCode: string; amountMinor: bigint } | undefined;
  idempotencyKey: string;
}

/**
 * Refunds (administration). The idempotency key makes a refund happen once: a request repeating a
 * key answers with the payment as it is, and the processor call reuses a key derived from it, so
 * a retry after a lost answer or a rolled-back transaction never refunds twice.
 */
export class Refunds {
  readonly #db: Db;
  readonly #deps: PaymentsDeps;
  readonly #now: () => Date;

  constructor(db: Db, deps: PaymentsDeps) {
    this.#db = db;
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
    const { payments, ledger, processor, publish, processorDeadlineMs } = this.#deps;
    return this.#db.tx(async (tx) => {
      await payments.lockOrder(tx, orderId);
      const payment = await payments.findByOrder(tx, orderId);
      if (!payment) throw new ServiceError("not_found", `order ${orderId} has no payment`);
      const previous = await payments.findRefund(tx, payment.id, key);
      if (previous) {
        if (previous.amountMinor !== amount.amountMinor || payment.currency !== amount.currency) {
          throw new ServiceError(
            "invalid_argument",
            `idempotency_key ${key} was used for a refund of ${previous.amountMinor} ${payment.currency}`,
          );
        }
        return payment;
      }
      const refundId = newId();
      const transition = refund(payment, amount, refundId, this.#now());
      const refunded = await processor
        .refund(
          {
            idempotencyKey: `refund:${payment.id}:${key}`,
            authorizationId: payment.authorizationId,
            amountMinor: amount.amountMinor,
          },
          { signal: deadline(processorDeadlineMs, signal) },
        )
        .catch((error: unknown) => Promise.reject(processorFailure(error, "refund")));
      await payments.insertRefund(tx, {
        id: refundId,
        paymentId: payment.id,
        idempotencyKey: key,
        amountMinor: amount.amountMinor,
        processorReference: refunded.refundId,
        createdAt: transition.payment.updatedAt,
      });
      await payments.update(tx, transition.payment);
      await ledger.post(tx, { ...transition.entry, reference: refunded.refundId });
      await publish(
        tx,
        PaymentRefundedSchema,
        {
          orderId,
          paymentId: payment.id,
          amount: { currencyCode: amount.currency, amountMinor: amount.amountMinor },
        },
        { subject: orderId },
      );
      return transition.payment;
    });
  }
}
