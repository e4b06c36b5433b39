import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  AcknowledgeEventsRequest,
  StreamEventsRequest,
  StreamEventsResponseSchema,
} from "@tessera/contracts/events/v1";
import type { Db } from "../db.ts";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { CallContext } from "../rpc/server.ts";
import { eventToMessage } from "./cloudevents.ts";
import type { EventMetrics } from "./metrics.ts";
import type { Notifier } from "./notifier.ts";
import {
  envelopeOf,
  outboxColumns,
  positionedChannel,
  type OutboxRow,
  type PositionedBatch,
} from "./outbox.ts";
import { headPosition, prunedThrough, pruneLock } from "./retention.ts";

const pageSize = 500;
/** Batches the relay handed a stream that it has not taken yet, at most. */
const maxHanded = 100;

export interface StreamOptions {
  log: Logger;
  metrics?: EventMetrics;
  idleWaitMs?: number;
}

/**
 * The producer side of the direct transport: streams positioned outbox rows after the consumer's
 * position, in position (commit) order, then waits for more — woken by the relay's NOTIFY.
 * Opening a stream makes the consumer known, with its position as acknowledged, so pruning keeps
 * what it has not read. The first response, sent at once, carries the head; a consumer asking for
 * rows that are already pruned is told there (and the producer logs and counts it), never
 * silently skipped past them.
 */
export async function* streamOutbox(
  db: Db,
  notifier: Notifier,
  request: Pick<StreamEventsRequest, "afterPosition" | "types" | "consumer">,
  context: Pick<CallContext, "signal">,
  { log, metrics, idleWaitMs = 1_000 }: StreamOptions,
): AsyncGenerator<MessageInitShape<typeof StreamEventsResponseSchema>> {
  checkStreamRequest(request);
  const { afterPosition, consumer } = request;
  const { head, missedThrough } = await openStream(db, request);
  if (afterPosition > head) {
    throw new ServiceError(
      "failed_precondition",
      `consumer ${consumer || "(unnamed)"} is at position ${afterPosition}, but this producer has handed out positions only up to ${head}: its outbox went back (a restored or replaced database); reset the consumer's position`,
    );
  }
  const missed = missedThrough > afterPosition;
  if (missed) {
    metrics?.streamGaps.inc({ consumer });
    log.error(
      { consumer, afterPosition: String(afterPosition), missedThrough: String(missedThrough) },
      "a consumer asked for events that were already pruned; it missed them",
    );
  }
  // The first response comes at once, events or not, so the consumer knows its stream is up.
  yield { headPosition: head, missedThrough: missed ? missedThrough : 0n };
  let after = afterPosition;
  const types = request.types.length > 0 ? request.types : null;
  const handed: PositionedBatch[] = [];
  let overflowed = false;
  const wake = notifier.watch(positionedChannel, (payload, batch) => {
    if (batch) {
      // A stream that does not keep up reads the outbox instead of holding batches in memory.
      if (handed.length < maxHanded) handed.push(batch as PositionedBatch);
      else overflowed = true;
    }
    return concerns(payload, types);
  });
  // Every position up to `covered` was looked at (read or handed); undefined until the first read.
  let covered: bigint | undefined;
  try {
    while (!context.signal.aborted) {
      wake.arm();
      const batches = handed.splice(0);
      let read = covered === undefined || overflowed || batches.length === 0;
      for (const { from, rows } of read ? [] : batches) {
        const last = rows.at(-1)?.position ?? 0n;
        if (last <= covered!) continue; // already read from the outbox
        if (from !== covered) {
          read = true; // a gap (another relay, a pruned outbox, a lost batch): read what is missing
          break;
        }
        for (const row of rows) {
          if (types && !types.includes(row.type)) continue;
          yield { event: eventToMessage(envelopeOf(row)), headPosition: last };
          after = row.position ?? after;
        }
        covered = last;
      }
      let full = false;
      if (read) {
        overflowed = false;
        handed.length = 0;
        // The head comes from the same snapshot, with or without rows: every position up to it is visible.
        const { rows: found } = await db.query<Partial<OutboxRow> & { head: bigint | null }>(
          `SELECT h.head, r.* FROM (SELECT max(position) AS head FROM outbox) h
             LEFT JOIN LATERAL (SELECT ${outboxColumns} FROM outbox
                                 WHERE position > $1 AND ($2::text[] IS NULL OR type = ANY($2))
                                 ORDER BY position LIMIT $3) r ON true`,
          [after, types, pageSize],
        );
        const head = found[0]?.head ?? 0n;
        const rows = found.filter((row): row is OutboxRow & { head: bigint } => row.id != null);
        for (const row of rows) {
          yield { event: eventToMessage(envelopeOf(row)), headPosition: head };
          after = row.position ?? after;
        }
        full = rows.length === pageSize;
        covered = full ? after : head > after ? head : after;
      }
      if (!full) await wake.wait(idleWaitMs, context.signal);
    }
  } finally {
    wake.close();
  }
}

/**
 * Whether a positioned notification may hold events for a stream of `types` (null: every type).
 * The relay's payload is `<origin> {"types": [...]}`; anything else — a reconnect, a batch too
 * varied to list — may concern every stream.
 */
export function concerns(payload: string | undefined, types: readonly string[] | null): boolean {
  if (payload === undefined || types === null) return true;
  const json = payload.slice(payload.indexOf(" ") + 1);
  try {
    const positioned = (JSON.parse(json) as { types?: unknown }).types;
    if (!Array.isArray(positioned)) return true;
    return positioned.some((type) => typeof type === "string" && types.includes(type));
  } catch {
    return true;
  }
}

/**
 * Records a consumer's progress. Positions only move forward here: an acknowledgement arriving
 * late from a slower replica never undoes a newer one.
 */
export async function acknowledgeEvents(
  db: Db,
  { consumer, position }: Pick<AcknowledgeEventsRequest, "consumer" | "position">,
): Promise<void> {
  if (consumer === "" || consumer.length > 200)
    throw new ServiceError("invalid_argument", "consumer must name the consuming service and subscription");
  if (position < 0n) throw new ServiceError("invalid_argument", "position must not be negative");
  const head = await headPosition(db);
  if (position > head) {
    throw new ServiceError(
      "failed_precondition",
      `position ${position} is beyond this producer's last position ${head}`,
    );
  }
  await db.query(
    `INSERT INTO outbox_consumers AS c (consumer, acknowledged) VALUES ($1, $2)
     ON CONFLICT (consumer) DO UPDATE
       SET acknowledged = GREATEST(c.acknowledged, excluded.acknowledged), acknowledged_at = now()`,
    [consumer, position],
  );
}

function checkStreamRequest({ afterPosition, types, consumer }: Parameters<typeof streamOutbox>[2]): void {
  if (afterPosition < 0n) throw new ServiceError("invalid_argument", "after_position must not be negative");
  if (consumer.length > 200)
    throw new ServiceError("invalid_argument", "consumer is longer than 200 characters");
  if (types.length > 100 || types.some((type) => type === "" || type.length > 200))
    throw new ServiceError("invalid_argument", "types must be at most 100 non-empty type names");
}

/**
 * Makes a named consumer known at the position it asked from — its own committed position, so
 * this may move back (a consumer restored from a backup), which only keeps more rows — and reads
 * the head and what was pruned, all at one moment.
 */
async function openStream(
  db: Db,
  { afterPosition, types, consumer }: Parameters<typeof streamOutbox>[2],
): Promise<{ head: bigint; missedThrough: bigint }> {
  return db.tx(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock_shared($1)", [pruneLock]);
    const head = await headPosition(tx);
    if (consumer !== "" && afterPosition <= head) {
      await tx.query(
        `INSERT INTO outbox_consumers (consumer, types, acknowledged) VALUES ($1, $2, $3)
         ON CONFLICT (consumer) DO UPDATE
           SET types = excluded.types, acknowledged = excluded.acknowledged, acknowledged_at = now()`,
        [consumer, types, afterPosition],
      );
    }
    return { head, missedThrough: await prunedThrough(tx, types) };
  });
}
