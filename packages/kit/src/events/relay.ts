import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { createBackoff } from "../backoff.ts";
import type { Logger } from "../logger.ts";
import type { EventEnvelope } from "./envelope.ts";
import type { EventMetrics } from "./metrics.ts";
import type { Notifier } from "./notifier.ts";
import {
  envelopeOf,
  handedColumns,
  outboxChannel,
  outboxColumns,
  positionedChannel,
  rowOf,
  type HandedRow,
  type OutboxRow,
} from "./outbox.ts";
import { pruneOutbox } from "./retention.ts";
import type { TransportHealth } from "./transport-health.ts";

/** Where a relay hands events: resolves once the transport has acknowledged every one. */
export interface OutboxSink {
  name: string;
  deliver(events: readonly EventEnvelope[]): Promise<void>;
}

export interface RelayOptions {
  connectionString: string;
  notifier: Notifier;
  log: Logger;
  metrics?: EventMetrics;
  /** The broker to deliver to; none for the direct transport, whose consumers read the outbox. */
  sink?: OutboxSink;
  batchSize?: number;
  /** Polling interval when no notification arrives. */
  pollMs?: number;
  /** Delivered rows older than this are deleted, unless a known consumer has not acknowledged them. */
  retentionMs?: number;
  /** How often pruning runs. */
  pruneEveryMs?: number;
  /** Longest pause between attempts while the database or the transport keeps failing. */
  maxBackoffMs?: number;
  /** Told of every failure and of the next success, for readiness and metrics. */
  health?: TransportHealth;
}

// One relay per database at a time: a session advisory lock is the lease; it dies with its connection.
const relayLease = 7_342_002;

/**
 * The outbox relay. It holds a lease (so replicas never relay concurrently), gives newly committed
 * rows their delivery `position` in the order they became visible — commit order — then hands
 * positioned rows to the transport in that order and marks them delivered only after the
 * transport acknowledged. It wakes on NOTIFY right after a commit and polls as a fallback.
 */
export function createRelay({
  connectionString,
  notifier,
  log,
  metrics,
  sink,
  batchSize = 500,
  pollMs = 1_000,
  retentionMs = 7 * 24 * 3600_000,
  pruneEveryMs = 60_000,
  maxBackoffMs = 5_000,
  health,
}: RelayOptions) {
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let lastPrune = 0;
  let failures = 0;
  /** Whether the last delivery pass sent every positioned row there was (broker transports). */
  let drained = false;
  const backoff = createBackoff({ maxMs: maxBackoffMs });

  function succeeded(): void {
    if (failures > 0) log.info({ failures }, "outbox relay recovered");
    failures = 0;
    backoff.reset();
    metrics?.relayFailures.set(0);
    health?.succeeded("relay");
  }

  async function withLease(client: pg.Client): Promise<void> {
    // Nothing is known delivered until this lease has read the outbox once.
    drained = false;
    while (!abort.signal.aborted) {
      const mark = notifier.mark(outboxChannel);
      const moved = await step(client);
      await prune(client);
      // Only a step that went through counts as recovery: taking the lease again does not.
      succeeded();
      // A step short of a full batch took everything committed before `mark`; anything since wakes
      // the wait at once, so no empty step runs before sleeping.
      if (moved < batchSize) await notifier.wait(outboxChannel, pollMs, abort.signal, mark);
    }
  }

  async function step(client: pg.Client): Promise<number> {
    // Positions come from a sequence, so they never go back, even after every row was pruned. The
    // sort happens before nextval runs, so positions follow id_seq; only the lease holder numbers.
    // The NOTIFY rides in the same statement, so numbering and waking cost one commit; it names
    // the types positioned, so a stream filtering on others stays asleep.
    const positioned = await client.query<{
      count: bigint;
      payload: string;
      from: bigint;
      rows: HandedRow[];
    }>(
      `WITH next AS (
         SELECT id_seq, nextval('outbox_position') AS position
           FROM (SELECT id_seq FROM outbox WHERE position IS NULL ORDER BY id_seq LIMIT $1) waiting
          ORDER BY id_seq),
       positioned AS (
         UPDATE outbox o SET position = next.position, delivered_at = CASE WHEN $2 THEN now() END
           FROM next WHERE o.id_seq = next.id_seq
         RETURNING ${outboxColumns.replace(/(\w+)/g, "o.$1")}),
       summary AS (
         SELECT count(*) AS count, $4 || ' ' || json_build_object('types', array_agg(DISTINCT type))::text AS payload,
                -- The head before this batch (this statement's snapshot does not see its own update).
                (SELECT coalesce(max(position), 0) FROM outbox) AS "from",
                json_agg(json_build_object(${handedColumns}) ORDER BY position) AS rows
           FROM positioned)
       SELECT count, payload, "from", rows,
              pg_notify($3, CASE WHEN length(payload) < 7900 THEN payload ELSE $4 || ' {}' END)
         FROM summary WHERE count > 0`,
      [batchSize, sink === undefined, positionedChannel, notifier.origin],
    );
    const batch = positioned.rows[0];
    const count = Number(batch?.count ?? 0);
    const rows = batch ? batch.rows.map(rowOf) : [];
    if (batch && count > 0) {
      // The direct streams of this process take the rows as they are, without reading them back.
      notifier.poke(positionedChannel, batch.payload, sink ? undefined : { from: batch.from, rows });
      if (!sink) metrics?.relayed.inc({ transport: "direct" }, count);
    }
    return Math.max(count, sink ? await deliver(client, sink, rows) : 0);
  }

  /**
   * Hands positioned rows to the broker, in position order, and marks them delivered. When the
   * last pass left nothing behind, the rows just positioned are all there is to send; otherwise
   * (a new lease, a failure, a full batch) they are read from the outbox.
   */
  async function deliver(client: pg.Client, sink: OutboxSink, positioned: OutboxRow[]): Promise<number> {
    let rows = positioned;
    if (!drained || positioned.length >= batchSize) {
      ({ rows } = await client.query<OutboxRow>(
        `SELECT ${outboxColumns} FROM outbox
          WHERE delivered_at IS NULL AND position IS NOT NULL ORDER BY position LIMIT $1`,
        [batchSize],
      ));
    }
    drained = false;
    if (rows.length > 0) {
      await sink.deliver(rows.map(envelopeOf));
      await client.query(`UPDATE outbox SET delivered_at = now() WHERE position = ANY($1::bigint[])`, [
        rows.map((row) => row.position),
      ]);
      metrics?.relayed.inc({ transport: sink.name }, rows.length);
    }
    drained = rows.length < batchSize;
    return rows.length;
  }

  async function prune(client: pg.Client): Promise<void> {
    if (Date.now() - lastPrune > pruneEveryMs) {
      lastPrune = Date.now();
      // Known consumers read the outbox only over the direct transport; a broker keeps its own copy.
      await pruneOutbox(client, { retentionMs, log, metrics, forConsumers: !sink });
    }
  }

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      const client = new pg.Client({ connectionString, application_name: "tessera-relay" });
      client.on("error", (error) => log.warn({ err: error }, "relay connection failed"));
      try {
        await client.connect();
        const { rows } = await client.query<{ leased: boolean }>(
          "SELECT pg_try_advisory_lock($1) AS leased",
          [relayLease],
        );
        if (rows[0]?.leased) {
          await withLease(client);
        } else {
          // Another replica relays; take over if it goes away.
          await sleep(pollMs * 2, undefined, { signal: abort.signal }).catch(() => undefined);
        }
      } catch (error) {
        if (abort.signal.aborted) break;
        failures++;
        metrics?.relayFailures.set(failures);
        health?.failed("relay", error);
        const retryInMs = backoff.next();
        log.warn({ err: error, failures, retryInMs }, "outbox relay failed; retrying");
        await sleep(retryInMs, undefined, { signal: abort.signal }).catch(() => undefined);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  return {
    start(): void {
      running ??= run();
    },
    async stop(): Promise<void> {
      abort.abort();
      await running;
    },
  };
}

export type Relay = ReturnType<typeof createRelay>;

/** Depth and age of the undelivered outbox, for the metrics. */
export async function outboxStats(
  query: pg.Pool["query"],
): Promise<{ depth: number; oldestAgeSeconds: number }> {
  const { rows } = await query<{ depth: bigint; age: number | null }>(
    `SELECT count(*) AS depth, extract(epoch FROM now() - min(time))::float8 AS age
       FROM outbox WHERE delivered_at IS NULL`,
  );
  return { depth: Number(rows[0]?.depth ?? 0), oldestAgeSeconds: rows[0]?.age ?? 0 };
}
