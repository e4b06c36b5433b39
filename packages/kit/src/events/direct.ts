import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { EventSchema, EventsService, StreamEventsResponseSchema } from "@tessera/contracts/events/v1";
import { setTimeout as sleep } from "node:timers/promises";
import type { Db } from "../db.ts";
import type { Client } from "../rpc/client.ts";
import type { CallContext } from "../rpc/server.ts";
import type { EventEnvelope } from "./envelope.ts";
import { applyBatch, batched, type ApplyOptions, type Subscription } from "./consumer.ts";
import type { EventMetrics } from "./metrics.ts";
import type { Notifier } from "./notifier.ts";
import { envelopeOf, outboxColumns, positionedChannel, type OutboxRow } from "./outbox.ts";

const pageSize = 500;
/** Events applied in one consumer transaction at most. */
const batchSize = 100;

export function eventToMessage(envelope: EventEnvelope): MessageInitShape<typeof EventSchema> {
  return {
    id: envelope.id,
    type: envelope.type,
    source: envelope.source,
    subject: envelope.subject,
    time: timestampFromDate(envelope.time),
    datacontenttype: envelope.datacontenttype,
    dataschemaVersion: envelope.schemaVersion,
    data: JSON.stringify(envelope.data),
    traceparent: envelope.traceparent,
    position: envelope.position,
  };
}

export function eventFromMessage(event: {
  id: string;
  type: string;
  source: string;
  subject: string;
  time?: Parameters<typeof timestampDate>[0];
  dataschemaVersion: number;
  data: string;
  traceparent: string;
  position: bigint;
}): EventEnvelope {
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject,
    time: event.time ? timestampDate(event.time) : new Date(),
    datacontenttype: "application/json",
    schemaVersion: event.dataschemaVersion,
    data: JSON.parse(event.data) as EventEnvelope["data"],
    traceparent: event.traceparent,
    position: event.position,
  };
}

/**
 * The producer side of the direct transport: streams positioned outbox rows after the consumer's
 * position, in position (commit) order, then waits for more — woken by the relay's NOTIFY.
 */
export async function* streamOutbox(
  db: Db,
  notifier: Notifier,
  request: { afterPosition: bigint; types: string[] },
  context: Pick<CallContext, "signal">,
  idleWaitMs = 1_000,
): AsyncGenerator<MessageInitShape<typeof StreamEventsResponseSchema>> {
  let after = request.afterPosition;
  const types = request.types.length > 0 ? request.types : null;
  while (!context.signal.aborted) {
    const mark = notifier.mark(positionedChannel);
    const { rows } = await db.query<OutboxRow & { head: bigint }>(
      `SELECT ${outboxColumns}, (SELECT max(position) FROM outbox) AS head FROM outbox
        WHERE position > $1 AND ($2::text[] IS NULL OR type = ANY($2)) ORDER BY position LIMIT $3`,
      [after, types, pageSize],
    );
    for (const row of rows) {
      yield { event: eventToMessage(envelopeOf(row)), headPosition: row.head };
      after = row.position ?? after;
    }
    if (rows.length < pageSize) await notifier.wait(positionedChannel, idleWaitMs, context.signal, mark);
  }
}

export interface DirectConsumerOptions extends Omit<ApplyOptions, "commit" | "signal"> {
  subscription: Subscription;
  producer: string;
  client: Client<typeof EventsService>;
  metrics?: EventMetrics;
  consumerName: string;
}

/**
 * The consumer side of the direct transport: reads its committed position for this producer,
 * streams from there, and applies each event with its new position committed in the same
 * transaction as the effect. Restarts of either side resume exactly where the last commit left.
 */
export function startDirectConsumer(options: DirectConsumerOptions) {
  const { subscription, producer, client, db, log, metrics, consumerName } = options;
  const abort = new AbortController();
  const types = [...subscription.types.keys()];

  async function position(): Promise<bigint> {
    const { rows } = await db.query<{ position: bigint }>(
      "SELECT position FROM consumer_offsets WHERE consumer = $1 AND producer = $2",
      [subscription.name, producer],
    );
    return rows[0]?.position ?? 0n;
  }

  async function run(): Promise<void> {
    for (let failures = 0; !abort.signal.aborted;) {
      try {
        const after = await position();
        const stream = client.streamEvents(
          { afterPosition: after, types, consumer: consumerName },
          { signal: abort.signal },
        );
        for await (const batch of batched(stream, batchSize)) {
          failures = 0;
          const envelopes = batch.flatMap(({ event }) => (event ? [eventFromMessage(event)] : []));
          await applyBatch(subscription, envelopes, {
            ...options,
            signal: abort.signal,
            commit: (tx, last) =>
              tx
                .query(
                  `INSERT INTO consumer_offsets (consumer, producer, position) VALUES ($1, $2, $3)
                   ON CONFLICT (consumer, producer) DO UPDATE
                     SET position = GREATEST(consumer_offsets.position, excluded.position), updated_at = now()`,
                  [subscription.name, producer, last.position],
                )
                .then(() => undefined),
          });
          const head = batch.at(-1)?.headPosition ?? 0n;
          const position = envelopes.at(-1)?.position ?? head;
          metrics?.consumerLag.set({ consumer: subscription.name, producer }, Number(head - position));
        }
      } catch (error) {
        if (abort.signal.aborted) break;
        failures++;
        const level = failures > 3 ? "warn" : "debug";
        log[level](
          { err: error, producer, consumer: subscription.name },
          "event stream interrupted; reconnecting",
        );
      }
      // Reconnect with backoff; a clean end (producer shutting down) also lands here.
      await sleep(Math.min(100 * 2 ** failures, 5_000), undefined, { signal: abort.signal }).catch(
        () => undefined,
      );
    }
  }

  const running = run();
  return {
    async stop(): Promise<void> {
      abort.abort();
      await running;
    },
  };
}
