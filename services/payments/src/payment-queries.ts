import { ServiceError } from "@tessera/kit";
import type { LedgerStore, LedgerSummary } from "./ledger-store.ts";
import { requireOrderId, type Payment } from "./payment.ts";
import type { PaymentStore } from "./payment-store.ts";

/** What administration and the consistency checker read: payments and the ledger's totals. */
export class PaymentQueries {
  readonly #payments: PaymentStore;
  readonly #ledger: LedgerStore;

  constructor(payments: PaymentStore, ledger: LedgerStore) {
    this.#payments = payments;
    this.#ledger = ledger;
  }

  async get(orderId: string): Promise<Payment> {
    const payment = await this.#payments.findByOrder(undefined, requireOrderId(orderId));
    if (!payment) throw new ServiceError("not_found", `order ${orderId} has no payment`);
    return payment;
  }

  list(): Promise<Payment[]> {
    return this.#payments.list();
  }

  ledger(): Promise<LedgerSummary> {
    return this.#ledger.summary();
  }
}
