import { ServiceError } from "@tessera/kit";
import { finalStatuses, type Order } from "./order.ts";
import type { OrderChanges } from "./order-changes.ts";
import type { OrderStore } from "./order-store.ts";
import type { Orders } from "./orders.ts";

export interface OrderWatchOptions {
  orders: Pick<Orders, "get">;
  store: Pick<OrderStore, "get">;
  changes: Pick<OrderChanges, "subscribe">;
  /** Streams open at once in this process; more are RESOURCE_EXHAUSTED. */
  maxWatchers: number;
  /** Streams open at once for one user in this process; more are RESOURCE_EXHAUSTED. */
  maxWatchersPerUser: number;
}

/**
 * Streams of one order each: the order now, then after each change, until a final status. A
 * stream holds no database connection while it waits: it re-reads the order only when told it
 * changed, and sends it only if it did (by version), so a duplicate notice costs one read.
 */
export class OrderWatch {
  readonly #options: OrderWatchOptions;
  readonly #perUser = new Map<string, number>();
  #open = 0;

  constructor(options: OrderWatchOptions) {
    this.#options = options;
  }

  /** Streams open now, in this process. */
  get open(): number {
    return this.#open;
  }

  /** The user's order now and after each change; ends after a final status or when `signal` aborts. */
  async *watch(userId: string, orderId: string, signal: AbortSignal): AsyncGenerator<Order> {
    const { orders, store, changes } = this.#options;
    const release = this.#admit(userId);
    const subscription = changes.subscribe(orderId);
    try {
      // Ownership and id checks as GetOrder's: another user's order is NOT_FOUND.
      let last = await orders.get(userId, orderId);
      yield last;
      while (!finalStatuses.has(last.status) && !signal.aborted) {
        await subscription.next(signal);
        if (signal.aborted) break;
        const now = await store.get(orderId);
        if (!now) throw new ServiceError("not_found", `order ${orderId} not found`);
        if (now.version === last.version) continue;
        last = now;
        yield last;
      }
    } finally {
      subscription.close();
      release();
    }
  }

  #admit(userId: string): () => void {
    const { maxWatchers, maxWatchersPerUser } = this.#options;
    const mine = this.#perUser.get(userId) ?? 0;
    if (this.#open >= maxWatchers)
      throw new ServiceError("resource_exhausted", "too many order streams are open; retry later", {
        reason: "too-many-watchers",
      });
    if (mine >= maxWatchersPerUser)
      throw new ServiceError(
        "resource_exhausted",
        `at most ${maxWatchersPerUser} order streams may be open per user; close one first`,
        { reason: "too-many-watchers-per-user" },
      );
    this.#open += 1;
    this.#perUser.set(userId, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open -= 1;
      const left = (this.#perUser.get(userId) ?? 1) - 1;
      if (left > 0) this.#perUser.set(userId, left);
      else this.#perUser.delete(userId);
    };
  }
}
