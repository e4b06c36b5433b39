import type { Tx } from "../db.ts";

/** A direct consumer's position in a producer's outbox, committed with the effects it covers. */
export interface OffsetWrite {
  producer: string;
  position: bigint;
}

const offsetUpsert = (consumer: string, producer: string, position: string) =>
  `INSERT INTO consumer_offsets (consumer, producer, position) VALUES (${consumer}, ${producer}, ${position})
   ON CONFLICT (consumer, producer) DO UPDATE
     SET position = GREATEST(consumer_offsets.position, excluded.position), updated_at = now()`;

/**
 * Records event ids as applied by `consumer` and, given one, its offset — in ONE statement —
 * and returns the ids that were new: the events whose handlers are to run. An id met before
 * (or twice in `ids`) is returned at most once.
 *
 * @example
 *   const fresh = await recordApplied(tx, "reservations", [event.id], { producer: "orders", position: event.position });
 */
export async function recordApplied(
  tx: Tx,
  consumer: string,
  ids: readonly string[],
  offset?: OffsetWrite,
): Promise<Set<string>> {
  if (ids.length === 0) {
    if (offset) await writeOffset(tx, consumer, offset);
    return new Set();
  }
  const inbox = `INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])
                 ON CONFLICT DO NOTHING RETURNING event_id`;
  const { rows } = offset
    ? await tx.query<{ event_id: string }>(
        // A data-modifying CTE runs to completion whether or not the query reads it.
        `WITH offset_written AS (${offsetUpsert("$1", "$3", "$4")}), inserted AS (${inbox})
         SELECT event_id FROM inserted`,
        [consumer, ids, offset.producer, offset.position],
      )
    : await tx.query<{ event_id: string }>(inbox, [consumer, ids]);
  return new Set(rows.map((row) => row.event_id));
}

/** Moves `consumer`'s offset forward (never back): for what has no inbox row (a skipped or parked event). */
export async function writeOffset(
  tx: Tx,
  consumer: string,
  { producer, position }: OffsetWrite,
): Promise<void> {
  await tx.query(offsetUpsert("$1", "$2", "$3"), [consumer, producer, position]);
}
