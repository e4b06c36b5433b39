import type pg from "pg";
import type { Tx } from "../db.ts";
import type { Logger } from "../logger.ts";
import type { EventMetrics } from "./metrics.ts";

/**
 * Pruning holds it exclusively, a stream opening shares it: a consumer made known while pruning
 * runs is either seen by the delete or sees what the delete recorded as pruned.
 */
export const pruneLock = 7_342_003;

/** What a known consumer of the direct transport has not acknowledged yet. */
export interface KnownConsumer {
  consumer: string;
  acknowledged: bigint;
  /** Rows of its types after its acknowledged position. */
  unacknowledged: number;
  /** Seconds since the oldest of them became available; 0 when none. */
  oldestUnacknowledgedAgeSeconds: number;
  /** Of those, the rows past the retention: kept only because it has not acknowledged them. */
  pastRetention: number;
}

// A row is needed by a known consumer when it is of the consumer's types (none listed: all) and
// after the position the consumer acknowledged.
const neededBy = (row: string, consumer: string) =>
  `${row}.position > ${consumer}.acknowledged AND (cardinality(${consumer}.types) = 0 OR ${row}.type = ANY (${consumer}.types))`;

/**
 * Deletes delivered rows older than the retention that no known consumer still needs, and
 * remembers per type the highest position it deleted, so a consumer that asks for them later is
 * told it missed them. Then reports every known consumer that holds rows past the retention —
 * a metric per consumer and a warning — since those rows stay until it acknowledges them.
 */
export async function pruneOutbox(
  client: pg.ClientBase,
  {
    retentionMs,
    log,
    metrics,
    forConsumers = true,
  }: { retentionMs: number; log: Logger; metrics?: EventMetrics; forConsumers?: boolean },
): Promise<number> {
  await client.query("BEGIN");
  let pruned: number;
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [pruneLock]);
    pruned = await deleteUnneeded(client, retentionMs, forConsumers);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  if (pruned > 0) log.debug({ pruned }, "outbox pruned");
  if (!forConsumers) return pruned;
  for (const known of await knownConsumers(client, retentionMs)) {
    metrics?.retainedForConsumer.set({ consumer: known.consumer }, known.pastRetention);
    if (known.pastRetention > 0) {
      log.warn(
        {
          consumer: known.consumer,
          acknowledged: String(known.acknowledged),
          retained: known.pastRetention,
          oldestAgeSeconds: Math.round(known.oldestUnacknowledgedAgeSeconds),
        },
        "consumer is behind the outbox retention; its events are kept until it acknowledges them",
      );
    }
  }
  return pruned;
}

async function deleteUnneeded(client: pg.ClientBase, retentionMs: number, forConsumers: boolean) {
  const { rows } = await client.query<{ pruned: bigint }>(
    `WITH gone AS (
       DELETE FROM outbox o
        WHERE o.delivered_at < now() - make_interval(secs => $1)
          AND NOT ($2 AND EXISTS (SELECT 1 FROM outbox_consumers c WHERE ${neededBy("o", "c")}))
       RETURNING o.type, o.position),
     marked AS (
       INSERT INTO outbox_pruned AS p (type, through)
       SELECT type, max(position) FROM gone GROUP BY type
       ON CONFLICT (type) DO UPDATE SET through = GREATEST(p.through, excluded.through))
     SELECT count(*) AS pruned FROM gone`,
    [retentionMs / 1000, forConsumers],
  );
  return Number(rows[0]?.pruned ?? 0);
}

/** Every consumer that ever streamed from this producer, with what it has not acknowledged. */
export async function knownConsumers(db: Tx, retentionMs: number): Promise<KnownConsumer[]> {
  const { rows } = await db.query<{
    consumer: string;
    acknowledged: bigint;
    unacknowledged: bigint;
    age: number | null;
    past_retention: bigint;
  }>(
    `SELECT c.consumer, c.acknowledged, count(o.position) AS unacknowledged,
            extract(epoch FROM now() - min(o.delivered_at))::float8 AS age,
            count(o.position) FILTER (WHERE o.delivered_at < now() - make_interval(secs => $1)) AS past_retention
       FROM outbox_consumers c LEFT JOIN outbox o ON ${neededBy("o", "c")}
      GROUP BY c.consumer, c.acknowledged ORDER BY c.consumer`,
    [retentionMs / 1000],
  );
  return rows.map((row) => ({
    consumer: row.consumer,
    acknowledged: row.acknowledged,
    unacknowledged: Number(row.unacknowledged),
    oldestUnacknowledgedAgeSeconds: Math.max(0, row.age ?? 0),
    pastRetention: Number(row.past_retention),
  }));
}

/** The last position the relay handed out (0 before the first): positions never go back. */
export async function headPosition(db: Tx): Promise<bigint> {
  const { rows } = await db.query<{ head: bigint }>(
    "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS head FROM outbox_position",
  );
  return rows[0]?.head ?? 0n;
}

/**
 * The highest pruned position among `types` (all types when empty): a consumer positioned below
 * it never received some of its events.
 */
export async function prunedThrough(db: Tx, types: readonly string[]): Promise<bigint> {
  const { rows } = await db.query<{ through: bigint | null }>(
    `SELECT max(through) AS through FROM outbox_pruned WHERE cardinality($1::text[]) = 0 OR type = ANY ($1)`,
    [types],
  );
  return rows[0]?.through ?? 0n;
}
