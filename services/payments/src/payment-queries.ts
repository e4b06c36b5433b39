import { createPageTokens, pageOf, pageSizeOf, ServiceError, uuidPattern, z } from "@tessera/kit";
import type { LedgerStore, LedgerSummary } from "./ledger-store.ts";
import { requireOrderId, type Payment } from "./payment.ts";
import type { PaymentStore } from "./payment-store.ts";

// Page tokens are opaque to callers: base64url JSON of the last payment id served.
const pageTokens = createPageTokens(z.object({ id: z.string().regex(uuidPattern) }));

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

  /** A page of every payment, in id order (AIP-158). */
  async list(request: {
    pageSize: number;
    pageToken: string;
  }): Promise<{ payments: Payment[]; nextPageToken: string }> {
    const limit = pageSizeOf(request.pageSize);
    const after = pageTokens.decode(request.pageToken)?.id;
    const rows = await this.#payments.list({ after, limit: limit + 1 });
    const { items, nextPageToken } = pageOf(rows, limit, (last) => pageTokens.encode({ id: last.id }));
    return { payments: items, nextPageToken };
  }

  ledger(): Promise<LedgerSummary> {
    return this.#ledger.summary();
  }
}
