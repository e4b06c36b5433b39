import pg from "pg";
import { currentContext, runWithContext } from "./context.ts";
import type { Logger } from "./logger.ts";
import { inSpan, SpanKind } from "./tracing.ts";

const dbAttributes = { "db.system.name": "postgresql" };

/** A connection inside a transaction; pass it to every query that must commit together. */
export interface Tx {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export interface Db extends Tx {
  pool: pg.Pool;
  /**
   * Runs `fn` in a transaction: COMMIT when it resolves, ROLLBACK when it throws.
   *
   * @example
   *   await service.db.tx(async (tx) => {
   *     await tx.query("UPDATE products SET price_minor = $2 WHERE id = $1", [id, price]);
   *     await service.publish(tx, ProductChangedSchema, { productId: id, priceMinor: price }, { subject: id });
   *   });
   */
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** True when the server answers a trivial query within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface DbOptions {
  connectionString: string;
  /** Pool size; each service process holds at most this many connections. */
  max?: number;
  log?: Logger;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

// int8 (bigint) columns hold money in minor units and counts; parse them as JS bigint, never lose precision.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => BigInt(value));

/**
 * A single `pg` connection for what a pool cannot do (LISTEN, a session advisory lock) that never
 * crashes the process: pg emits `error` when the server goes away, and an `error` event without a
 * listener would throw. It is logged (without a logger, as a process warning); the owner learns of
 * it from its failing query or the `end` event, and reconnects.
 *
 * @example
 *   const client = createPgClient({ connectionString, application_name: "tessera-notifier" }, log);
 *   await client.connect();
 */
export function createPgClient(config: pg.ClientConfig, log?: Logger): pg.Client {
  const client = new pg.Client(config);
  const name = config.application_name ?? "database client";
  client.on("error", (error) => {
    if (log) log.warn({ err: error, "db.client": name }, "database connection failed");
    else process.emitWarning(`${name}: database connection failed: ${error.message}`);
  });
  return client;
}

/** A `pg` pool with transactions, a readiness ping and an orderly close. */
export function createDb({ connectionString, max = 10, log, applicationName }: DbOptions): Db {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on("error", (error) => log?.warn({ err: error }, "idle database connection failed"));
  // Nor may a checked-out one: the pool listens only while a client is idle or inside pool.query,
  // and whoever holds a client from pool.connect() may be awaiting something else when it drops.
  pool.on("connect", (client) =>
    client.on("error", (error) => log?.debug({ err: error }, "database connection failed")),
  );

  const inTransaction = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // The pool listens for errors only on idle clients: without this, a connection dropped while `fn`
    // awaits something else (server restart, idle-in-transaction timeout) would crash the process.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
      log?.warn({ err: error }, "database connection failed during a transaction");
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        broken ??= rollbackError instanceof Error ? rollbackError : new Error("ROLLBACK failed");
      });
      throw error;
    } finally {
      client.off("error", onError);
      // A failed connection is destroyed rather than handed to the next caller.
      client.release(broken);
    }
  };

  return {
    pool,
    query: (text, values) => pool.query(text, values),
    // A transaction of a traced request or event gets a span, and what runs inside it (an outbox
    // insert) becomes its child. Background work (relays, sweepers) starts no trace of its own.
    tx(fn) {
      const current = currentContext();
      if (!current?.traceparent) return inTransaction(fn);
      return inSpan("db transaction", SpanKind.CLIENT, current.traceparent, dbAttributes, (traceparent) =>
        traceparent === current.traceparent
          ? inTransaction(fn)
          : runWithContext({ ...current, traceparent }, () => inTransaction(fn)),
      );
    },
    async ping(timeoutMs = 1_000) {
      try {
        await Promise.race([
          pool.query("SELECT 1"),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error("ping timed out")), timeoutMs).unref(),
          ),
        ]);
        return true;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
}
