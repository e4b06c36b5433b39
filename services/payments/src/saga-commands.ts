import {
  AuthorizePaymentSchema,
  CapturePaymentSchema,
  VoidPaymentSchema,
  type AuthorizePayment,
} from "@tessera/contracts/orders/v1";
import {
  PaymentAuthorizedSchema,
  PaymentCapturedSchema,
  PaymentDeclinedSchema,
  PaymentVoidedSchema,
} from "@tessera/contracts/payments/v1";
import { newId, ServiceError, type EventHandler, type Logger, type Service, type Tx } from "@tessera/kit";
import { deadline, processorFailure, ProcessorError, type CardProcessor } from "./card-processor.ts";
import type { LedgerStore } from "./ledger-store.ts";
import {
  authorizeCommand,
  authorized,
  capture,
  noCurrency,
  requireOrderId,
  voidedBeforeAuthorization,
  voidPayment,
  type Authorization,
  type AuthorizeCommand,
  type Payment,
} from "./payment.ts";
import type { PaymentStore } from "./payment-store.ts";

/** The saga's commands payments consumes (published by orders). */
export const sagaCommandTypes = [AuthorizePaymentSchema, CapturePaymentSchema, VoidPaymentSchema] as const;

export interface PaymentsDeps {
  payments: PaymentStore;
  ledger: LedgerStore;
  processor: CardProcessor;
  publish: Service<unknown>["publish"];
  log: Logger;
  /** How long a processor call may take before it counts as a timeout. */
  processorDeadlineMs: number;
  now?: () => Date;
}

/**
 * The saga's payment steps. Each runs in the transaction that records the command as applied
 * (the inbox), so its payment, journal entry and event commit together or not at all; a thrown
 * error rolls all back and the command is retried, then dead-lettered.
 *
 * Exactly once, although commands arrive at least once and processor calls may fail halfway:
 * a per-order lock serializes replicas; the payment row (one per order) turns repeats into no-ops
 * that publish nothing; processor calls carry idempotency keys derived from the order or payment,
 * so a call repeated after a rollback repeats the processor's first answer instead of charging again.
 */
export class SagaCommands {
  readonly #deps: PaymentsDeps;
  readonly #now: () => Date;

  constructor(deps: PaymentsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** The subscription handler: `service.subscribe("saga-commands", sagaCommandTypes, commands.handle)`. */
  readonly handle: EventHandler<typeof sagaCommandTypes> = async ({ data }, tx) => {
    switch (data.$typeName) {
      case "tessera.orders.v1.AuthorizePayment":
        return this.authorize(tx, data);
      case "tessera.orders.v1.CapturePayment":
        return this.capture(tx, data.orderId);
      case "tessera.orders.v1.VoidPayment":
        return this.void(tx, data.orderId);
    }
  };

  /** Holds the amount on the card, or records the decline; PaymentAuthorized or PaymentDeclined. */
  async authorize(tx: Tx, data: AuthorizePayment): Promise<void> {
    const { payments, ledger, publish } = this.#deps;
    const command = authorizeCommand(data);
    await payments.lockOrder(tx, command.orderId);
    const existing = await payments.findByOrder(tx, command.orderId);
    if (existing) return this.#repeatedAuthorization(existing, command);
    const { payment, entry } = authorized(
      command,
      await this.#authorizeAtProcessor(command),
      newId(),
      this.#now(),
    );
    await payments.insert(tx, payment);
    const subject = { subject: payment.orderId };
    if (entry) {
      await ledger.post(tx, entry);
      await publish(
        tx,
        PaymentAuthorizedSchema,
        { orderId: payment.orderId, paymentId: payment.id, amount: money(payment) },
        subject,
      );
    } else {
      await publish(
        tx,
        PaymentDeclinedSchema,
        { orderId: payment.orderId, reason: payment.declineReason },
        subject,
      );
    }
  }

  /** Takes the held amount; PaymentCaptured. A captured payment stays as it is and nothing is published. */
  async capture(tx: Tx, rawOrderId: string): Promise<void> {
    const { payments, ledger, processor, publish, processorDeadlineMs } = this.#deps;
    const payment = await this.#lockedPayment(tx, requireOrderId(rawOrderId));
    if (!payment) throw new ServiceError("not_found", `order ${rawOrderId} has no payment to capture`);
    const transition = capture(payment, this.#now());
    if (transition.kind === "unchanged") return;
    const captured = await processor
      .capture(
        {
          idempotencyKey: `capture:${payment.id}`,
          authorizationId: payment.authorizationId,
          amountMinor: payment.amountMinor,
        },
        { signal: deadline(processorDeadlineMs) },
      )
      .catch((error: unknown) => Promise.reject(processorFailure(error, "capture")));
    await payments.update(tx, transition.payment);
    await ledger.post(tx, { ...transition.entry, reference: captured.captureId });
    await publish(
      tx,
      PaymentCapturedSchema,
      { orderId: payment.orderId, paymentId: payment.id, amount: money(payment) },
      { subject: payment.orderId },
    );
  }

  /**
   * Releases the hold; PaymentVoided. A void that finds no payment (the saga gave up before the
   * authorization was applied) cancels whatever the processor may hold for the order and leaves a
   * voided mark, so an AuthorizePayment arriving later holds nothing.
   */
  async void(tx: Tx, rawOrderId: string): Promise<void> {
    const { payments, ledger, processor, publish, processorDeadlineMs } = this.#deps;
    const orderId = requireOrderId(rawOrderId);
    const payment = await this.#lockedPayment(tx, orderId);
    if (!payment) {
      await this.#cancelAtProcessor(orderId);
      const mark = voidedBeforeAuthorization(orderId, newId(), this.#now());
      await payments.insert(tx, mark);
      await publish(tx, PaymentVoidedSchema, { orderId, paymentId: mark.id }, { subject: orderId });
      return;
    }
    const transition = voidPayment(payment, this.#now());
    if (transition.kind === "unchanged") return;
    await processor
      .void(
        { idempotencyKey: `void:${payment.id}`, authorization: { authorizationId: payment.authorizationId } },
        { signal: deadline(processorDeadlineMs) },
      )
      .catch((error: unknown) => Promise.reject(processorFailure(error, "void")));
    await payments.update(tx, transition.payment);
    await ledger.post(tx, transition.entry);
    await publish(tx, PaymentVoidedSchema, { orderId, paymentId: payment.id }, { subject: orderId });
  }

  async #lockedPayment(tx: Tx, orderId: string): Promise<Payment | undefined> {
    await this.#deps.payments.lockOrder(tx, orderId);
    return this.#deps.payments.findByOrder(tx, orderId);
  }

  /** A repeat changes nothing — unless it asks for another amount, which is a bug upstream worth a dead letter. */
  #repeatedAuthorization(existing: Payment, command: AuthorizeCommand): void {
    const voidedFirst = existing.status === "voided" && existing.currency === noCurrency;
    const same =
      existing.currency === command.amount.currency && existing.amountMinor === command.amount.amountMinor;
    if (!voidedFirst && !same) {
      throw new ServiceError(
        "failed_precondition",
        `order ${command.orderId} already has a payment of ${existing.amountMinor} ${existing.currency}; ` +
          `a second AuthorizePayment asks for ${command.amount.amountMinor} ${command.amount.currency}`,
      );
    }
    this.#deps.log.info(
      { "order.id": command.orderId, "payment.id": existing.id, "payment.status": existing.status },
      "AuthorizePayment repeated; the order's payment exists, nothing to do",
    );
  }

  /**
   * A timeout leaves the outcome unknown: the processor may hold the money. Payments then cancels
   * by merchant reference (a "technical cancel", what card networks call a timeout reversal) and
   * declines with reason `processor_timeout`, so the saga compensates at once and no hold outlives
   * the order. If the cancel fails too, the whole step fails and is retried; nothing is recorded
   * while a hold may remain.
   */
  async #authorizeAtProcessor(command: AuthorizeCommand): Promise<Authorization> {
    try {
      const result = await this.#deps.processor.authorize(
        {
          idempotencyKey: `authorize:${command.orderId}`,
          merchantReference: command.orderId,
          cardToken: command.cardToken,
          currency: command.amount.currency,
          amountMinor: command.amount.amountMinor,
        },
        { signal: deadline(this.#deps.processorDeadlineMs) },
      );
      return result.outcome === "approved"
        ? { approved: true, authorizationId: result.authorizationId }
        : { approved: false, reason: result.reason };
    } catch (error) {
      if (!(error instanceof ProcessorError && error.code === "timeout"))
        throw processorFailure(error, "authorization");
      this.#deps.log.warn(
        { "order.id": command.orderId },
        "authorization timed out; cancelling it and declining",
      );
      await this.#cancelAtProcessor(command.orderId);
      return { approved: false, reason: "processor_timeout" };
    }
  }

  async #cancelAtProcessor(orderId: string): Promise<void> {
    await this.#deps.processor
      .void(
        { idempotencyKey: `cancel:${orderId}`, authorization: { merchantReference: orderId } },
        { signal: deadline(this.#deps.processorDeadlineMs) },
      )
      .catch((error: unknown) => Promise.reject(processorFailure(error, "technical cancel")));
  }
}

const money = (payment: Payment) => ({ currencyCode: payment.currency, amountMinor: payment.amountMinor });
