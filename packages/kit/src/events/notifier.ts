import { EventEmitter, once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { Logger } from "../logger.ts";

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
  #client: pg.Client | undefined;
  #closed = false;

  constructor(connectionString: string, channels: readonly string[], log?: Logger) {
    this.#connectionString = connectionString;
    this.#channels = channels;
    this.#log = log;
    this.#emitter.setMaxListeners(0);
  }

  /** Connects in the background and keeps reconnecting until `close()`. */
  start(): void {
    void this.#run();
  }

  async #run(): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      const client = new pg.Client({
        connectionString: this.#connectionString,
        application_name: "tessera-notifier",
      });
      try {
        await client.connect();
        for (const channel of this.#channels) await client.query(`LISTEN ${channel}`);
        this.#client = client;
        attempt = 0;
        client.on("notification", (message) => this.#signal(message.channel));
        // Anything missed while disconnected is picked up by the waiters' polling.
        for (const channel of this.#channels) this.#signal(channel);
        await Promise.race([once(client, "error"), once(client, "end")]);
      } catch (error) {
        if (!this.#closed) this.#log?.warn({ err: error }, "event notifier connection failed; retrying");
      } finally {
        this.#client = undefined;
        await client.end().catch(() => undefined);
      }
      if (!this.#closed) await sleep(Math.min(100 * 2 ** attempt, 5_000));
    }
  }

  #signal(channel: string): void {
    this.#seen.set(channel, (this.#seen.get(channel) ?? 0) + 1);
    this.#emitter.emit(channel);
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

  /** Wakes local waiters at once (a commit in this process). */
  poke(channel: string): void {
    this.#signal(channel);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#client?.end().catch(() => undefined);
  }
}
