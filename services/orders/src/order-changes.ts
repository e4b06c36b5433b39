import { setTimeout as sleep } from "node:timers/promises";
import { createBackoff, createPgClient, type Logger } from "@tessera/kit";

/** The channel every transaction changing an order notifies, with the order id as payload. */
export const orderChangedChannel = "order_changed";

/** What a watcher waits on: `next()` resolves once its order may have changed since the last call. */
export interface OrderChangeSubscription {
  /** Resolves at once if a change came since the last call, else on the next one or when `signal` aborts. */
  next(signal: AbortSignal): Promise<void>;
  close(): void;
}

type ConnectionConfig = Parameters<typeof createPgClient>[0];

interface Waiter {
  pending: boolean;
  wake: (() => void) | undefined;
}

/**
 * Tells the watchers of an order that it changed: at once for a commit of this process (`notify`),
 * and through one LISTEN connection per process for commits anywhere (the store sends `pg_notify` in
 * the transaction that changes the order, so it is heard only once that commits). While the
 * connection is down nothing is heard, so on every (re)connect every watcher is woken to re-read.
 */
export class OrderChanges {
  readonly #connection: ConnectionConfig;
  readonly #log: Logger | undefined;
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #closing = new AbortController();
  #running: Promise<void> | undefined;
  #client: ReturnType<typeof createPgClient> | undefined;

  /** `connection`: where to listen, e.g. the service pool's own settings (`db.pool.options`). */
  constructor(connection: ConnectionConfig, log?: Logger) {
    this.#connection = connection;
    this.#log = log;
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
    this.#running ??= this.#run();
  }

  async #run(): Promise<void> {
    const closing = this.#closing.signal;
    const backoff = createBackoff({ initialMs: 100, maxMs: 5_000 });
    while (!closing.aborted) {
      const client = createPgClient(
        { ...this.#connection, application_name: "orders-watch", connectionTimeoutMillis: 5_000 },
        this.#log,
      );
      const lost = new Promise<void>((resolve) => {
        client.once("end", resolve);
        client.once("error", () => resolve());
      });
      try {
        await client.connect();
        client.on("notification", ({ payload }) => payload && this.notify(payload));
        await client.query(`LISTEN ${orderChangedChannel}`);
        if (closing.aborted) break;
        this.#client = client;
        backoff.reset();
        // Changes committed while no connection listened were not heard: every watcher re-reads.
        this.#wakeAll();
        await lost;
        if (!closing.aborted) this.#log?.warn("order change listener lost its connection; reconnecting");
      } catch (error) {
        if (!closing.aborted) this.#log?.warn({ err: error }, "order change listener failed; retrying");
      } finally {
        this.#client = undefined;
        await client.end().catch(() => undefined);
      }
      await sleep(backoff.next(), undefined, { signal: closing }).catch(() => undefined);
    }
  }

  #wakeAll(): void {
    for (const set of this.#waiters.values()) for (const waiter of set) wake(waiter);
  }

  /** Stops listening and wakes every watcher; once it resolves, its connection is closed. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#wakeAll();
    await this.#client?.end().catch(() => undefined);
    await this.#running;
  }
}

function wake(waiter: Waiter): void {
  if (waiter.wake) waiter.wake();
  else waiter.pending = true;
}
