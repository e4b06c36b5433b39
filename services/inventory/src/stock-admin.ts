import {
  createPageTokens,
  pageOf,
  pageSizeOf,
  ServiceError,
  z,
  type Db,
  type PageTokenKey,
  type PageTokens,
  type Tx,
} from "@tessera/kit";
import { skuPattern } from "./stock-rules.ts";
import type { ListedStatus, Reservation, StockLevel, StockStore } from "./stock-store.ts";

/** Units one restock may add at most. */
export const maxRestockQuantity = 1_000_000n;
/** SKUs one GetStock may ask for at most. */
export const maxSkusPerQuery = 500;

export interface RestockInput {
  sku: string;
  quantity: bigint;
  idempotencyKey: string;
}

/**
 * Stock outside the saga: seeding a new catalog product, restocking by idempotency key, and the
 * read side (GetStock, ListStock, ListReservations) the storefront and consistency checker use.
 */
export class StockAdmin {
  readonly #db: Db;
  readonly #store: StockStore;
  readonly #initialStock: bigint;
  readonly #stockPages: PageTokens<{ sku: string }>;
  readonly #reservationPages: PageTokens<{ status: string; orderId: string }>;

  constructor(options: { db: Db; store: StockStore; initialStock: bigint; pageTokenKey: PageTokenKey }) {
    this.#db = options.db;
    this.#store = options.store;
    this.#initialStock = options.initialStock;
    // Page tokens are opaque to callers: the last key served (and the filter the token was issued
    // for), sealed with the service's key.
    const key = options.pageTokenKey;
    this.#stockPages = createPageTokens(z.object({ sku: z.string().regex(skuPattern) }), {
      key,
      list: "inventory.stock",
      maxLength: 512,
    });
    this.#reservationPages = createPageTokens(
      z.object({ status: z.string().max(20), orderId: z.string().min(1).max(100) }),
      { key, list: "inventory.reservations", maxLength: 512 },
    );
  }

  /**
   * A product was created in the catalog: its SKU gets the initial stock, once. Existing stock is
   * never reset (a repeated event, or a product re-created under a known SKU, changes nothing).
   */
  async seed(tx: Tx, sku: string): Promise<boolean> {
    checkSku(sku);
    return this.#store.createStock(tx, sku, this.#initialStock);
  }

  /** Adds units to a SKU (creating it if new); the same idempotency key adds them once. */
  async restock(input: RestockInput): Promise<StockLevel> {
    checkSku(input.sku);
    if (input.quantity < 1n || input.quantity > maxRestockQuantity) {
      throw new ServiceError("invalid_argument", `quantity must be between 1 and ${maxRestockQuantity}`);
    }
    const key = input.idempotencyKey;
    if (key.length < 1 || key.length > 200) {
      throw new ServiceError("invalid_argument", "idempotency_key is required (1-200 characters)");
    }
    return this.#db.tx(async (tx) => {
      const claim = await this.#store.claimRestock(tx, key, input.sku, input.quantity);
      if (claim.claimed) return this.#store.receive(tx, input.sku, input.quantity);
      if (claim.sku !== input.sku || claim.quantity !== input.quantity) {
        throw new ServiceError(
          "failed_precondition",
          `idempotency_key was used for another restock (${claim.quantity} of ${claim.sku})`,
          { reason: "idempotency-key-reused" },
        );
      }
      const [level] = await this.#store.stockOf([input.sku], tx);
      return level!;
    });
  }

  /** Stock of the given SKUs; unknown ones are left out. */
  async stockOf(skus: readonly string[]): Promise<StockLevel[]> {
    if (skus.length > maxSkusPerQuery) {
      throw new ServiceError("invalid_argument", `at most ${maxSkusPerQuery} SKUs per request`);
    }
    skus.forEach(checkSku);
    return skus.length === 0 ? [] : this.#store.stockOf([...new Set(skus)]);
  }

  /** A page of every SKU's stock, in SKU order (AIP-158). */
  async listStock(request: PageRequest): Promise<Page<StockLevel>> {
    const limit = pageSizeOf(request.pageSize);
    const after = this.#stockPages.decode(request.pageToken)?.sku;
    const levels = await this.#store.listStock({ after, limit: limit + 1 });
    return pageOf(levels, limit, (last) => this.#stockPages.encode({ sku: last.sku }));
  }

  /** A page of reservations, in order id order, optionally of one status (AIP-158). */
  async listReservations(
    request: PageRequest & { status: ListedStatus | undefined },
  ): Promise<Page<Reservation<ListedStatus>>> {
    const limit = pageSizeOf(request.pageSize);
    const status = request.status ?? "";
    const cursor = this.#reservationPages.decode(request.pageToken);
    if (cursor && cursor.status !== status) {
      throw new ServiceError("invalid_argument", "page_token was issued for another status filter");
    }
    const reservations = await this.#store.listReservations({
      status: request.status,
      after: cursor?.orderId,
      limit: limit + 1,
    });
    return pageOf(reservations, limit, (last) =>
      this.#reservationPages.encode({ status, orderId: last.orderId }),
    );
  }
}

export interface PageRequest {
  pageSize: number;
  pageToken: string;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

function checkSku(sku: string): void {
  if (sku.length === 0) throw new ServiceError("invalid_argument", "sku must not be empty");
  if (!skuPattern.test(sku)) {
    throw new ServiceError(
      "invalid_argument",
      `sku "${sku.slice(0, 64)}" must be 2-64 upper-case letters, digits or dashes`,
    );
  }
}
