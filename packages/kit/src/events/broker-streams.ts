import type { Db } from "../db.ts";

/**
 * Records the creation time the broker reports for a stream the relay delivers to, and when the
 * stream is not the one the relay delivered to before — created again after the broker lost it,
 * or created after rows were already delivered to an earlier one — marks the retained outbox rows
 * undelivered, so the relay sends them again (consumers dedupe them in their inbox). Returns how
 * many rows it marked.
 *
 * @example
 *   const resent = await requeueIfStreamReplaced(db, "TESSERA_ORDERS", info.created);
 */
export async function requeueIfStreamReplaced(db: Db, stream: string, created: string): Promise<number> {
  return db.tx(async (tx) => {
    const { rows } = await tx.query<{ created: string }>(
      "SELECT created FROM outbox_broker_streams WHERE stream = $1 FOR UPDATE",
      [stream],
    );
    const known = rows[0]?.created;
    if (known === created) return 0;
    await tx.query(
      `INSERT INTO outbox_broker_streams (stream, created) VALUES ($1, $2)
       ON CONFLICT (stream) DO UPDATE SET created = excluded.created`,
      [stream, created],
    );
    // Unknown until now: only rows delivered before this stream existed went to a lost one.
    const requeued = await tx.query(
      `UPDATE outbox SET delivered_at = NULL
        WHERE delivered_at IS NOT NULL AND ($1::boolean OR delivered_at < $2::timestamptz)`,
      [known !== undefined, created],
    );
    return requeued.rowCount ?? 0;
  });
}
