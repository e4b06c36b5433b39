import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { createBackoff } from "../backoff.ts";
import { createPgClient } from "../db.ts";
import type { Logger } from "../logger.ts";

export interface NotifierWatch {
  /** Forget what arrived so far: call before looking for work. */
  arm(): void;
  /** Resolves at once if a matching notification arrived since `arm()`, else on the next one or the timeout. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/**
 * One LISTEN connection per process, shared by the relay and the direct streams: `wait(channel)`
 * resolves on the next NOTIFY or after `timeoutMs`, whichever is first, so polling remains the
 * fallback when a notification is missed (reconnects, a dropped connection).
 */
export class Notifier {
  readonly #connectionString: string;
  readonly #channels: readonly string[];
  readonly #log: Logger | undefined;
  readonly #emitter = new EventEmitter();
  /** Notifications seen per channel, so a waiter can tell one arrived while it was busy. */
  readonly #seen = new Map<string, number>();
  readonly #closing = new AbortController();
  /**
   * Prefixes the payload of a NOTIFY this process also pokes locally (`${origin} …`), so its echo
   * does not wake the same waiters twice.
   */
  readonly origin = randomBytes(6).toString("hex");
  #client: pg.Client | undefined;
  #running: Promise<void> | undefined;

  readonly #applicationName: string;

  /** `applicationName` names its connection in `pg_stat_activity`. */
  constructor(
    connectionString: string,
    channels: readonly string[],
    log?: Logger,
    { applicationName = "tessera-notifier" }: { applicationName?: string } = {},
  ) {
    this.#connectionString = connectionString;
    this.#channels = channels;
    this.#log = log;
    this.#applicationName = applicationName;
    this.#emitter.setMaxListeners(0);
  }

  /** Connects in the background and keeps reconnecting, with backoff, until `close()`. */
  start(): void {
    this.#running ??= this.#run();
  }

  async #run(): Promise<void> {
    const closing = this.#closing.signal;
    // Jittered, from ~100 ms up to 5 s: a database restarting is back within seconds, and replicas
    // reconnecting at once must not arrive in lockstep.
    const backoff = createBackoff({ initialMs: 100, maxMs: 5_000 });
    while (!closing.aborted) {
      const client = createPgClient(
        {
          connectionString: this.#connectionString,
          application_name: this.#applicationName,
          // A server that accepts but never answers must not hold the loop (or close()) forever.
          connectionTimeoutMillis: 5_000,
        },
        this.#log,
      );
      // Listening before connecting: the connection can drop at any await below.
      const lost = new Promise<void>((resolve) => {
        client.once("end", resolve);
        client.once("error", () => resolve());
      });
      try {
        await client.connect();
        for (const channel of this.#channels) await client.query(`LISTEN ${channel}`);
        // close() may have come while connecting, when there was no client for it to end.
        if (closing.aborted) break;
        this.#client = client;
        backoff.reset();
        client.on("notification", ({ channel, payload }) => {
          // Our own NOTIFY: the local waiters were poked when it committed.
          if (!payload?.startsWith(`${this.origin} `)) this.#signal(channel, payload);
        });
        // Anything missed while disconnected is picked up by the waiters' polling.
        for (const channel of this.#channels) this.#signal(channel);
        await lost;
        if (!closing.aborted) this.#log?.warn("event notifier lost its connection; reconnecting");
      } catch (error) {
        if (!closing.aborted) this.#log?.warn({ err: error }, "event notifier connection failed; retrying");
      } finally {
        this.#client = undefined;
        await client.end().catch(() => undefined);
      }
      await sleep(backoff.next(), undefined, { signal: closing }).catch(() => undefined);
    }
  }

  /** `payload` is undefined when the notification content is unknown (a reconnect): wake everyone. */
  #signal(channel: string, payload?: string, handed?: unknown): void {
    this.#seen.set(channel, (this.#seen.get(channel) ?? 0) + 1);
    this.#emitter.emit(channel, payload, handed);
  }

  /** A mark to pass to `wait`: take it before looking for work, so no notification slips by. */
  mark(channel: string): number {
    return this.#seen.get(channel) ?? 0;
  }

  /**
   * Resolves on the next notification on `channel`, after `timeoutMs`, or when `signal` aborts —
   * at once if one arrived since `since` (a `mark` taken before the caller last looked for work).
   */
  wait(channel: string, timeoutMs: number, signal?: AbortSignal, since?: number): Promise<void> {
    if (since !== undefined && this.mark(channel) !== since) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#emitter.off(channel, done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#emitter.on(channel, done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * Wakes local waiters at once (a commit in this process), with the payload its NOTIFY carried
   * and, for `watch`ers, what was committed (`handed`), so they need not read it back.
   */
  poke(channel: string, payload?: string, handed?: unknown): void {
    this.#signal(channel, payload, handed);
  }

  /**
   * Calls `listener` with each notification on `channel` — `undefined` after a (re)connect, when
   * what was missed is unknown — until the returned function is called.
   */
  listen(channel: string, listener: (payload: string | undefined) => void): () => void {
    const each = (payload: string | undefined) => listener(payload);
    this.#emitter.on(channel, each);
    return () => void this.#emitter.off(channel, each);
  }

  /**
   * A waiter that only wakes for notifications `accepts` lets through, for a loop that looks for
   * work, then waits: `arm()` before looking, `wait()` after; a matching notification that arrived
   * in between resolves it at once. `close()` when done.
   *
   * @example
   *   const watch = notifier.watch(positionedChannel, (payload) => payload === undefined || payload.includes(type));
   *   while (!signal.aborted) { watch.arm(); await readMore(); await watch.wait(1_000, signal); }
   *   watch.close();
   */
  watch(channel: string, accepts: (payload: string | undefined, handed?: unknown) => boolean): NotifierWatch {
    let pending = false;
    let wake: (() => void) | undefined;
    const listener = (payload: string | undefined, handed?: unknown) => {
      if (!accepts(payload, handed)) return;
      pending = true;
      wake?.();
    };
    this.#emitter.on(channel, listener);
    return {
      arm: () => void (pending = false),
      wait: (timeoutMs, signal) =>
        pending || signal?.aborted
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const done = () => {
                clearTimeout(timer);
                wake = undefined;
                signal?.removeEventListener("abort", done);
                resolve();
              };
              const timer = setTimeout(done, timeoutMs);
              wake = done;
              signal?.addEventListener("abort", done, { once: true });
            }),
      close: () => void this.#emitter.off(channel, listener),
    };
  }

  /** Stops listening; once it resolves, no connection of the notifier's is left open. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#client?.end().catch(() => undefined);
    await this.#running;
  }
}
