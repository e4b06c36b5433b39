import {
  PaymentAuthorizedSchema,
  PaymentCapturedSchema,
  PaymentDeclinedSchema,
  PaymentRefundedSchema,
  PaymentVoidedSchema,
} from "@tessera/contracts/payments/v1";
import { newId, ServiceError, type Db, type Logger, type Service, type Tx } from "@tessera/kit";
import { deadline, ProcessorError, type CallOptions, type CardProcessor } from "./card-processor.ts";
import type { LedgerStore } from "./ledger-store.ts";
import {
  authorized,
  capture,
  refund,
  voidedBeforeAuthorization,
  voidPayment,
  type Authorization,
  type Money,
  type Payment,
} from "./payment.ts";
import type { PaymentStore } from "./payment-store.ts";
import {
  maxAuthorizeFailures,
  processorRequests,
  type AbandonReason,
  type ProcessorCall,
} from "./processor-call.ts";
import type { ProcessorCallStore } from "./processor-call-store.ts";

export interface SettlementDeps {
  db: Db;
  payments: PaymentStore;
  ledger: LedgerStore;
  calls: ProcessorCallStore;
  processor: CardProcessor;
  publish: Service<unknown>["publish"];
  log: Logger;
  /** How long one processor call may take before it counts as a timeout. */
  processorDeadlineMs: number;
  /** The worker's lease, renewed before a second call in the same attempt (a technical cancel). */
  leaseMs: number;
  /** Told of each refund once its transaction committed (a metric). */
  onRefunded?: (amount: Money) => void;
  now?: () => Date;
}

/**
 * Makes a recorded processor call and records its outcome: the call runs with no transaction open;
 * then one transaction writes the payment, its journal entry and its event, and settles the call —
 * unless another worker settled it meanwhile, in which case nothing is written twice. Throwing
 * leaves the call pending (or failed, for a refusal); see processor-calls.ts.
 */
export class CallSettlement {
  readonly #deps: SettlementDeps;
  readonly #now: () => Date;

  constructor(deps: SettlementDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  readonly settle = (call: ProcessorCall, shutdown: AbortSignal): Promise<void> => {
    switch (call.kind) {
      case "authorize":
        return this.#authorize(call, shutdown);
      case "capture":
        return this.#capture(call, shutdown);
      case "void":
        return this.#void(call, shutdown);
      case "refund":
        return this.#refund(call, shutdown);
    }
  };

  /** Holds the amount, or records the decline; PaymentAuthorized or PaymentDeclined. */
  async #authorize(call: ProcessorCall, shutdown: AbortSignal): Promise<void> {
    const amount = required(call.amount, call);
    const answer = call.abandonReason
      ? await this.#abandon(call, call.abandonReason, shutdown)
      : await this.#authorizeAtProcessor(call, amount, shutdown);
    const command = { orderId: call.orderId, userId: call.userId, amount, cardToken: "" };
    await this.#record(call, async (tx, existing) => {
      if (existing) {
        this.#deps.log.warn(
          { "order.id": call.orderId },
          "the order has a payment already; nothing recorded",
        );
        return;
      }
      const { payment, entry } = authorized(command, answer, newId(), this.#now());
      await this.#deps.payments.insert(tx, payment);
      const subject = { subject: payment.orderId };
      if (entry) {
        await this.#deps.ledger.post(tx, entry);
        const data = { orderId: payment.orderId, paymentId: payment.id, amount: money(payment) };
        await this.#deps.publish(tx, PaymentAuthorizedSchema, data, subject);
      } else {
        const data = { orderId: payment.orderId, reason: payment.declineReason };
        await this.#deps.publish(tx, PaymentDeclinedSchema, data, subject);
      }
    });
  }

  async #authorizeAtProcessor(
    call: ProcessorCall,
    amount: Money,
    shutdown: AbortSignal,
  ): Promise<Authorization> {
    try {
      const result = await this.#ask(shutdown, (options) =>
        this.#deps.processor.authorize(processorRequests.authorize(call, amount), options),
      );
      return result.outcome === "approved"
        ? { approved: true, authorizationId: result.authorizationId }
        : { approved: false, reason: result.reason };
    } catch (error) {
      const reason = abandonReason(error, call.failures);
      if (!reason) throw error;
      this.#deps.log.warn(
        { err: error, "order.id": call.orderId, reason },
        "authorization given up; cancelling it at the processor and declining",
      );
      return this.#abandon(call, reason, shutdown);
    }
  }

  /**
   * An authorization without an answer (a timeout, the processor unavailable too long) may still
   * hold the money: cancel by merchant reference — a technical cancel, what card networks call a
   * timeout reversal — then decline, so the saga compensates and no hold outlives the order. The
   * decision is stored first and never undone: were the cancel to fail after acting, a retry must
   * not take the processor's repeated "approved" for a hold that is gone.
   */
  async #abandon(call: ProcessorCall, reason: string, shutdown: AbortSignal): Promise<Authorization> {
    await this.#deps.calls.extendLease(call.id, this.#deps.leaseMs, reason);
    await this.#cancelAtProcessor(call.orderId, shutdown);
    return { approved: false, reason };
  }

  /** Takes the held amount; PaymentCaptured. */
  async #capture(call: ProcessorCall, shutdown: AbortSignal): Promise<void> {
    const payment = await this.#payment(call);
    if (capture(payment, this.#now()).kind === "changed") {
      const captured = await this.#ask(shutdown, (options) =>
        this.#deps.processor.capture(processorRequests.capture(payment), options),
      );
      await this.#record(call, async (tx, current) => {
        const transition = capture(required(current, call), this.#now());
        if (transition.kind === "unchanged") return;
        await this.#deps.payments.update(tx, transition.payment);
        await this.#deps.ledger.post(tx, { ...transition.entry, reference: captured.captureId });
        const data = { orderId: payment.orderId, paymentId: payment.id, amount: money(payment) };
        await this.#deps.publish(tx, PaymentCapturedSchema, data, { subject: payment.orderId });
      });
    } else {
      await this.#record(call, () => Promise.resolve());
    }
  }

  /**
   * Releases the hold; PaymentVoided. With no payment (the saga gave up before any authorization
   * was recorded) it cancels whatever the processor may hold for the order and leaves a voided
   * mark, so an AuthorizePayment arriving later holds nothing.
   */
  async #void(call: ProcessorCall, shutdown: AbortSignal): Promise<void> {
    const { orderId } = call;
    const payment = await this.#deps.payments.findByOrder(undefined, orderId);
    if (!payment) {
      await this.#cancelAtProcessor(orderId, shutdown);
      await this.#record(call, async (tx, current) => {
        if (current) return;
        const mark = voidedBeforeAuthorization(orderId, newId(), this.#now());
        await this.#deps.payments.insert(tx, mark);
        await this.#deps.publish(
          tx,
          PaymentVoidedSchema,
          { orderId, paymentId: mark.id },
          { subject: orderId },
        );
      });
      return;
    }
    if (voidPayment(payment, this.#now()).kind === "changed") {
      await this.#ask(shutdown, (options) =>
        this.#deps.processor.void(processorRequests.void(payment), options),
      );
    }
    await this.#record(call, async (tx, current) => {
      const transition = voidPayment(required(current, call), this.#now());
      if (transition.kind === "unchanged") return;
      await this.#deps.payments.update(tx, transition.payment);
      await this.#deps.ledger.post(tx, transition.entry);
      await this.#deps.publish(
        tx,
        PaymentVoidedSchema,
        { orderId, paymentId: payment.id },
        { subject: orderId },
      );
    });
  }

  /** Gives back part or all of a capture; PaymentRefunded. */
  async #refund(call: ProcessorCall, shutdown: AbortSignal): Promise<void> {
    const payment = await this.#payment(call);
    const amount = required(call.amount, call);
    const refundId = required(call.refundId, call);
    refund(payment, amount, refundId, this.#now());
    const refunded = await this.#ask(shutdown, (options) =>
      this.#deps.processor.refund(processorRequests.refund(payment, call, amount), options),
    );
    const recorded = await this.#record(call, async (tx, current) => {
      const transition = refund(required(current, call), amount, refundId, this.#now());
      await this.#deps.payments.insertRefund(tx, {
        id: refundId,
        paymentId: payment.id,
        idempotencyKey: call.refundKey,
        amountMinor: amount.amountMinor,
        processorReference: refunded.refundId,
        createdAt: transition.payment.updatedAt,
      });
      await this.#deps.payments.update(tx, transition.payment);
      await this.#deps.ledger.post(tx, { ...transition.entry, reference: refunded.refundId });
      const data = {
        orderId: call.orderId,
        paymentId: payment.id,
        amount: { currencyCode: amount.currency, amountMinor: amount.amountMinor },
      };
      await this.#deps.publish(tx, PaymentRefundedSchema, data, { subject: call.orderId });
    });
    if (recorded) this.#deps.onRefunded?.(amount);
  }

  async #payment(call: ProcessorCall): Promise<Payment> {
    const payment = await this.#deps.payments.findByOrder(undefined, call.orderId);
    if (!payment) throw new ServiceError("not_found", `order ${call.orderId} has no payment to ${call.kind}`);
    return payment;
  }

  /**
   * The outcome's transaction: the order locked, the call settled if it was still pending (else
   * another worker recorded it: nothing to do), `write` with the payment as it is now. True when
   * this transaction recorded the outcome and committed.
   */
  async #record(
    call: ProcessorCall,
    write: (tx: Tx, payment: Payment | undefined) => Promise<void>,
  ): Promise<boolean> {
    const { db, payments, calls } = this.#deps;
    return db.tx(async (tx) => {
      await payments.lockOrder(tx, call.orderId);
      if (!(await calls.settle(tx, call.id))) return false;
      await write(tx, await payments.findByOrder(tx, call.orderId));
      return true;
    });
  }

  async #cancelAtProcessor(orderId: string, shutdown: AbortSignal): Promise<void> {
    await this.#ask(shutdown, (options) =>
      this.#deps.processor.void(processorRequests.cancel(orderId), options),
    );
  }

  /** One processor call with its deadline; a shutdown aborting it is not the processor's timeout. */
  async #ask<T>(shutdown: AbortSignal, call: (options: CallOptions) => Promise<T>): Promise<T> {
    try {
      return await call({ signal: deadline(this.#deps.processorDeadlineMs, shutdown) });
    } catch (error) {
      if (shutdown.aborted) throw new ServiceError("cancelled", "payments is stopping", { cause: error });
      throw error;
    }
  }
}

/** Whether an authorization's failure gives it up, and why; undefined to retry it. */
function abandonReason(error: unknown, failures: number): AbandonReason | undefined {
  if (!(error instanceof ProcessorError)) return undefined;
  switch (error.code) {
    case "timeout":
      return "processor_timeout";
    case "rejected":
      return "processor_rejected";
    case "unavailable":
      return failures + 1 >= maxAuthorizeFailures ? "processor_unavailable" : undefined;
  }
}

function required<T>(value: T | undefined, call: ProcessorCall): T {
  if (value === undefined)
    throw new ServiceError("internal", `processor call ${call.id} lacks data for ${call.kind}`);
  return value;
}

const money = (payment: Payment) => ({ currencyCode: payment.currency, amountMinor: payment.amountMinor });
