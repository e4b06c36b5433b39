import {
  createPageTokens,
  pageOf,
  pageSizeOf,
  ServiceError,
  uuidPattern,
  z,
  type PageTokenKey,
  type PageTokens,
} from "@tessera/kit";
import type { LedgerStore, LedgerSummary } from "./ledger-store.ts";
import { requireOrderId, type Payment } from "./payment.ts";
import type { PaymentStore } from "./payment-store.ts";

/** What administration and the consistency checker read: payments and the ledger's totals. */
export class PaymentQueries {
  readonly #payments: PaymentStore;
  readonly #ledger: LedgerStore;
  readonly #pageTokens: PageTokens<{ id: string }>;

  constructor(payments: PaymentStore, ledger: LedgerStore, pageTokenKey: PageTokenKey) {
    this.#payments = payments;
    this.#ledger = ledger;
    // Page tokens are opaque to callers: the last payment id served, sealed with the service's key.
    this.#pageTokens = createPageTokens(z.object({ id: z.string().regex(uuidPattern) }), {
      key: pageTokenKey,
      list: "payments.all",
      maxLength: 512,
    });
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
    const after = this.#pageTokens.decode(request.pageToken)?.id;
    const rows = await this.#payments.list({ after, limit: limit + 1 });
    const { items, nextPageToken } = pageOf(rows, limit, (last) => this.#pageTokens.encode({ id: last.id }));
    return { payments: items, nextPageToken };
  }

  ledger(): Promise<LedgerSummary> {
    return this.#ledger.summary();
  }
}
