import {
  AuthorizePaymentSchema,
  CapturePaymentSchema,
  VoidPaymentSchema,
  type AuthorizePayment,
} from "@tessera/contracts/orders/v1";
import { PaymentDeclinedSchema } from "@tessera/contracts/payments/v1";
import { newId, ServiceError, type EventHandler, type Logger, type Service, type Tx } from "@tessera/kit";
import {
  authorizeCommand,
  authorized,
  capture,
  noCurrency,
  plausibleCardToken,
  requireOrderId,
  voidPayment,
  type AuthorizeCommand,
  type Money,
  type Payment,
} from "./payment.ts";
import type { PaymentStore } from "./payment-store.ts";
import { authorizeCall, captureCall, voidCall } from "./processor-call.ts";
import type { ProcessorCallStore } from "./processor-call-store.ts";

/** The saga's commands payments consumes (published by orders). */
export const sagaCommandTypes = [AuthorizePaymentSchema, CapturePaymentSchema, VoidPaymentSchema] as const;

export interface SagaCommandsDeps {
  payments: PaymentStore;
  calls: ProcessorCallStore;
  publish: Service<unknown>["publish"];
  log: Logger;
  now?: () => Date;
}

/**
 * The saga's payment steps, first half. Each runs in the transaction that records the command as
 * applied (the inbox) and does no network call: it checks the command against the order's payment
 * and records the processor call it needs. The call is made after that transaction commits, and
 * its outcome — the payment, its journal entry, the saga's reply event — recorded in another
 * (call-settlement.ts). A thrown error rolls back and the command is retried, then dead-lettered.
 *
 * Exactly once, although commands arrive at least once: a per-order lock serializes replicas; the
 * payment (one per order) and the call's intent key (one per order and step) turn repeats into
 * no-ops that publish nothing.
 */
export class SagaCommands {
  readonly #deps: SagaCommandsDeps;
  readonly #now: () => Date;

  constructor(deps: SagaCommandsDeps) {
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

  /** Records the authorization to make; it answers with PaymentAuthorized or PaymentDeclined. */
  async authorize(tx: Tx, data: AuthorizePayment): Promise<void> {
    const { calls } = this.#deps;
    const command = authorizeCommand(data);
    const existing = await this.#lockedPayment(tx, command.orderId);
    if (existing) {
      const voidedFirst = existing.status === "voided" && existing.currency === noCurrency;
      return this.#repeated(command, voidedFirst ? undefined : existing, existing.status);
    }
    const pending = await calls.pending(tx, command.orderId);
    const earlier = pending.find((call) => call.kind === "authorize");
    if (earlier) return this.#repeated(command, earlier.amount, "pending");
    // The saga gave up before this command was applied: its void comes first and holds nothing.
    if (pending.some((call) => call.kind === "void")) return this.#repeated(command, undefined, "voiding");
    if (!plausibleCardToken(command.cardToken)) return this.#declineAtOnce(tx, command);
    await calls.record(tx, authorizeCall(command));
  }

  /** Records the capture of the held amount; it answers with PaymentCaptured. A captured payment stays as it is. */
  async capture(tx: Tx, rawOrderId: string): Promise<void> {
    const { calls } = this.#deps;
    const orderId = requireOrderId(rawOrderId);
    const payment = await this.#lockedPayment(tx, orderId);
    if (!payment) {
      const authorizing = (await calls.pending(tx, orderId)).some((call) => call.kind === "authorize");
      if (!authorizing) throw new ServiceError("not_found", `order ${rawOrderId} has no payment to capture`);
    } else if (capture(payment, this.#now()).kind === "unchanged") {
      return;
    }
    await calls.record(tx, captureCall(orderId));
  }

  /**
   * Records the release of the hold; it answers with PaymentVoided. With no payment yet, the call
   * runs after any pending authorization of the order, or cancels at the processor by merchant
   * reference when there is none (see call-settlement.ts).
   */
  async void(tx: Tx, rawOrderId: string): Promise<void> {
    const orderId = requireOrderId(rawOrderId);
    const payment = await this.#lockedPayment(tx, orderId);
    if (payment && voidPayment(payment, this.#now()).kind === "unchanged") return;
    await this.#deps.calls.record(tx, voidCall(orderId));
  }

  /** Locks the order (commands of one order never interleave) and reads its payment, if any. */
  async #lockedPayment(tx: Tx, orderId: string): Promise<Payment | undefined> {
    await this.#deps.payments.lockOrder(tx, orderId);
    return this.#deps.payments.findByOrder(tx, orderId);
  }

  /** A token no processor could know: declined as the processor would, without a call. */
  async #declineAtOnce(tx: Tx, command: AuthorizeCommand): Promise<void> {
    const answer = { approved: false, reason: "invalid_card" } as const;
    const { payment } = authorized({ ...command, cardToken: "" }, answer, newId(), this.#now());
    await this.#deps.payments.insert(tx, payment);
    const data = { orderId: payment.orderId, reason: payment.declineReason };
    await this.#deps.publish(tx, PaymentDeclinedSchema, data, { subject: payment.orderId });
  }

  /** A repeat changes nothing — unless it asks for another amount, which is a bug upstream worth a dead letter. */
  #repeated(command: AuthorizeCommand, first: Money | undefined, state: string): void {
    if (
      first &&
      (first.currency !== command.amount.currency || first.amountMinor !== command.amount.amountMinor)
    ) {
      throw new ServiceError(
        "failed_precondition",
        `order ${command.orderId} already has a payment of ${first.amountMinor} ${first.currency}; ` +
          `a second AuthorizePayment asks for ${command.amount.amountMinor} ${command.amount.currency}`,
      );
    }
    this.#deps.log.info(
      { "order.id": command.orderId, "payment.status": state },
      "AuthorizePayment repeated; the order's payment exists or is on its way, nothing to do",
    );
  }
}
