import { Notifier, type Logger } from "@tessera/kit";

/** The channel every transaction changing an order notifies, with the order id as payload. */
export const orderChangedChannel = "order_changed";

/** What a watcher waits on: `next()` resolves once its order may have changed since the last call. */
export interface OrderChangeSubscription {
  /** Resolves at once if a change came since the last call, else on the next one or when `signal` aborts. */
  next(signal: AbortSignal): Promise<void>;
  close(): void;
}

interface Waiter {
  pending: boolean;
  wake: (() => void) | undefined;
}

/**
 * Tells the watchers of an order that it changed: at once for a commit of this process (`notify`),
 * and through one LISTEN connection per process — the kit's `Notifier` — for commits anywhere (the
 * store sends `pg_notify` in the transaction that changes the order, so it is heard only once that
 * commits). While the
 * connection is down nothing is heard, so on every (re)connect every watcher is woken to re-read.
 */
export class OrderChanges {
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #notifier: Notifier;
  readonly #stopListening: () => void;

  /** `connection`: the service's database, where the store's NOTIFYs are sent (`db.pool.options`). */
  constructor({ connectionString }: { connectionString?: string | undefined }, log?: Logger) {
    if (!connectionString) throw new Error("order changes need the database's connection string");
    this.#notifier = new Notifier(connectionString, [orderChangedChannel], log, {
      applicationName: "orders-watch",
    });
    // A notification names its order; after a (re)connect nothing says what was missed while no
    // connection listened, so every watcher re-reads.
    this.#stopListening = this.#notifier.listen(orderChangedChannel, (orderId) =>
      orderId === undefined ? this.#wakeAll() : this.notify(orderId),
    );
  }

  /** Wakes the watchers of `orderId` (after a commit of this process). */
  notify(orderId: string): void {
    for (const waiter of this.#waiters.get(orderId) ?? []) wake(waiter);
  }

  /** Watches `orderId`; subscribe before reading the order, so no change falls between the two. */
  subscribe(orderId: string): OrderChangeSubscription {
    const waiter: Waiter = { pending: false, wake: undefined };
    let set = this.#waiters.get(orderId);
    if (!set) this.#waiters.set(orderId, (set = new Set()));
    set.add(waiter);
    return {
      next: (signal) =>
        new Promise<void>((resolve) => {
          if (waiter.pending || signal.aborted) {
            waiter.pending = false;
            return resolve();
          }
          const done = () => {
            signal.removeEventListener("abort", done);
            waiter.wake = undefined;
            waiter.pending = false;
            resolve();
          };
          waiter.wake = done;
          signal.addEventListener("abort", done, { once: true });
        }),
      close: () => {
        set.delete(waiter);
        if (set.size === 0 && this.#waiters.get(orderId) === set) this.#waiters.delete(orderId);
        waiter.wake?.();
      },
    };
  }

  /** Connects in the background and keeps reconnecting, with backoff, until `close()`. */
  start(): void {
    this.#notifier.start();
  }

  #wakeAll(): void {
    for (const set of this.#waiters.values()) for (const waiter of set) wake(waiter);
  }

  /** Stops listening and wakes every watcher; once it resolves, its connection is closed. */
  async close(): Promise<void> {
    this.#stopListening();
    this.#wakeAll();
    await this.#notifier.close();
  }
}

function wake(waiter: Waiter): void {
  if (waiter.wake) waiter.wake();
  else waiter.pending = true;
}
