import type { DescMessage } from "@bufbuild/protobuf";
import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelay, createBackoff } from "../backoff.ts";
import { isConnectionFailure } from "../connection-errors.ts";
import { runWithContext } from "../context.ts";
import { ServiceError } from "../errors.ts";
import { inSpan, SpanKind } from "../tracing.ts";
import type { Db, Tx } from "../db.ts";
import type { Logger } from "../logger.ts";
import {
  decodeData,
  envelopeToJson,
  producerOf,
  type EventEnvelope,
  type ReceivedEvent,
} from "./envelope.ts";
import { recordApplied, writeOffset, type OffsetWrite } from "./inbox.ts";
import type { EventMetrics } from "./metrics.ts";

/** The handler of a subscription: runs inside the transaction that records the event as applied. */
export type EventHandler<D extends readonly DescMessage[] = readonly DescMessage[]> = (
  event: { [K in keyof D]: ReceivedEvent<D[K]> }[number],
  tx: Tx,
) => Promise<void>;

export interface Subscription {
  /** Unique within the service; with the service name it names the durable consumer. */
  name: string;
  /** Event types by fully qualified name. */
  types: ReadonlyMap<string, DescMessage>;
  handler: EventHandler;
}

/** The services whose events a subscription takes: one stream, subject or topic to read from each. */
export function producersOf(subscription: Subscription): string[] {
  return [...new Set([...subscription.types.keys()].map(producerOf))];
}

export type Outcome = "applied" | "duplicate" | "skipped" | "dead_lettered";

export interface ApplyOptions {
  db: Db;
  log: Logger;
  metrics?: EventMetrics;
  /** Attempts before the event is parked as a dead letter. */
  maxAttempts?: number;
  /** About the delay before the first retry; later ones about double, up to 5 s (`backoffDelay`). */
  retryBaseMs?: number;
  /** Runs in the same transaction as the effect (or the skip, or the parking): a consumer offset. */
  commit?: (tx: Tx) => Promise<void>;
  /** Whether `commit` (and `offsetOf`) also runs when the event is parked as a dead letter (default true). */
  commitWhenParked?: boolean;
  /**
   * The direct transport's offset: the producer whose position the event carries. It is written by
   * the same statement as the inbox row, in the event's transaction.
   */
  offsetOf?: string;
  signal?: AbortSignal;
}

/**
 * Applies one event exactly once: in one transaction it inserts the event id into `inbox`
 * (a conflict means it was applied before — skip), runs the handler and the transport's commit.
 * A failing handler is retried with backoff; after `maxAttempts` the event is parked in
 * `dead_letters` with its error, so one poison event never blocks the ones behind it.
 */
export async function applyEvent(
  subscription: Subscription,
  envelope: EventEnvelope,
  {
    db,
    log,
    metrics,
    maxAttempts = 5,
    retryBaseMs = 50,
    commit,
    commitWhenParked = true,
    offsetOf,
    signal,
  }: ApplyOptions,
): Promise<Outcome> {
  const consumer = subscription.name;
  const labels = { consumer, type: envelope.type };
  const offset = offsetOf === undefined ? undefined : { producer: offsetOf, position: envelope.position };
  if (!subscription.types.has(envelope.type)) {
    if (commit || offset)
      await db.tx(async (tx) => {
        if (offset) await writeOffset(tx, consumer, offset);
        if (commit) await commit(tx);
      });
    return counted(metrics, consumer, envelope, "skipped");
  }

  let lastError: unknown;
  let attempts = 0;
  const waitForDatabase = databaseOutage(log, { "event.id": envelope.id, consumer }, signal);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (signal?.aborted) throw signal.reason;
    try {
      const outcome = await db.tx(async (tx) => {
        const [outcome] = await applyInTransaction(subscription, [envelope], tx, offset);
        if (commit) await commit(tx);
        return outcome!;
      });
      return counted(metrics, consumer, envelope, outcome);
    } catch (error) {
      // The database failing is not the event failing: parking it would brand a good event as
      // poison. It waits for the database, and the same attempt runs again.
      if (isConnectionFailure(error)) {
        await waitForDatabase(error);
        attempt--;
        continue;
      }
      lastError = error;
      metrics?.handlerErrors.inc(labels);
      log.warn(
        { err: error, "event.id": envelope.id, "event.type": envelope.type, consumer, attempt },
        "event handler failed",
      );
      attempts = attempt;
      // A malformed event fails the same way every time: park it now rather than after every retry.
      if (error instanceof ServiceError && error.code === "invalid_argument") break;
      if (attempt < maxAttempts) {
        const delay = backoffDelay(attempt, { initialMs: retryBaseMs });
        await sleep(delay, undefined, signal ? { signal } : undefined);
      }
    }
  }

  await db.tx(async (tx) => {
    await parkDeadLetter(tx, consumer, envelope, lastError, attempts);
    if (offset && commitWhenParked) await writeOffset(tx, consumer, offset);
    if (commit && commitWhenParked) await commit(tx);
  });
  metrics?.deadLetters.inc(labels);
  log.error(
    { err: lastError, "event.id": envelope.id, "event.type": envelope.type, consumer },
    "event dead-lettered",
  );
  return counted(metrics, consumer, envelope, "dead_lettered");
}

/** How long an event waits in hand for its database before it is left to the transport to redeliver. */
const outageLimitMs = 60_000;

/** Waits out a database outage with jittered backoff; rethrows `error` once it lasted too long. */
function databaseOutage(log: Logger, fields: Record<string, string>, signal?: AbortSignal) {
  let since: number | undefined;
  const backoff = createBackoff();
  return async (error: unknown): Promise<void> => {
    if (since === undefined) {
      since = Date.now();
      log.warn({ err: error, ...fields }, "database unavailable; the event waits for it");
    } else if (Date.now() - since > outageLimitMs) {
      throw error;
    }
    await sleep(backoff.next(), undefined, signal ? { signal } : undefined);
  };
}

async function parkDeadLetter(
  tx: Tx,
  consumer: string,
  envelope: EventEnvelope,
  error: unknown,
  attempts: number,
) {
  const message = error instanceof Error ? error.message : String(error);
  await tx.query(
    `INSERT INTO dead_letters (consumer, event_id, event, error, attempts) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (consumer, event_id) DO UPDATE
       SET error = excluded.error, attempts = dead_letters.attempts + excluded.attempts, created_at = now()`,
    [consumer, envelope.id, envelopeToJson(envelope), message.slice(0, 4_000), attempts],
  );
}

/**
 * Applies a run of events in ONE transaction — one inbox insert and one handler call per event,
 * one commit for all — which is what makes a busy consumer fast. If any handler fails, the whole
 * transaction rolls back and the events are applied one at a time instead, each with its own
 * retries and dead-lettering, so the outcome is exactly that of `applyEvent` one by one.
 * `commit` runs once, with the last event (a consumer offset).
 */
export async function applyBatch(
  subscription: Subscription,
  envelopes: readonly EventEnvelope[],
  options: Omit<ApplyOptions, "commit"> & { commit?: (tx: Tx, last: EventEnvelope) => Promise<void> },
): Promise<Outcome[]> {
  const { db, metrics, commit } = options;
  const last = envelopes.at(-1);
  if (!last) return [];
  const single = (envelope: EventEnvelope) =>
    applyEvent(subscription, envelope, { ...options, commit: commit && ((tx) => commit(tx, envelope)) });
  if (envelopes.length === 1) return [await single(last)];
  let outcomes: Outcome[];
  try {
    const offset =
      options.offsetOf === undefined ? undefined : { producer: options.offsetOf, position: last.position };
    outcomes = await db.tx(async (tx) => {
      const results = await applyInTransaction(subscription, envelopes, tx, offset);
      if (commit) await commit(tx, last);
      return results;
    });
  } catch (error) {
    options.log.debug(
      { err: error, consumer: subscription.name },
      "batch failed; applying its events one by one",
    );
    const one: Outcome[] = [];
    for (const envelope of envelopes) one.push(await single(envelope));
    return one;
  }
  return envelopes.map((envelope, i) => counted(metrics, subscription.name, envelope, outcomes[i]!));
}

/**
 * The events' effects inside `tx`: their inbox rows (and the offset, if any) in one statement,
 * then, in a consumer span continuing each producer's trace, the handler of each event whose row
 * was new. A type the subscription does not take is skipped.
 */
async function applyInTransaction(
  subscription: Subscription,
  envelopes: readonly EventEnvelope[],
  tx: Tx,
  offset?: OffsetWrite,
): Promise<Outcome[]> {
  const taken = envelopes.filter((envelope) => subscription.types.has(envelope.type));
  const fresh = await recordApplied(
    tx,
    subscription.name,
    taken.map((envelope) => envelope.id),
    offset,
  );
  const outcomes: Outcome[] = [];
  for (const envelope of envelopes) {
    const schema = subscription.types.get(envelope.type);
    if (!schema) outcomes.push("skipped");
    // Deleted once applied: the same id twice in one batch runs its handler once.
    else if (!fresh.delete(envelope.id.toLowerCase())) outcomes.push("duplicate");
    else outcomes.push(await handle(subscription, schema, envelope, tx));
  }
  return outcomes;
}

function handle(subscription: Subscription, schema: DescMessage, envelope: EventEnvelope, tx: Tx) {
  const attributes = {
    "messaging.consumer.group.name": subscription.name,
    "messaging.message.id": envelope.id,
  };
  return inSpan(
    `process ${envelope.type}`,
    SpanKind.CONSUMER,
    envelope.traceparent || undefined,
    attributes,
    (traceparent) =>
      runWithContext({ traceparent }, async (): Promise<Outcome> => {
        await subscription.handler({ envelope, data: decodeData(schema, envelope.data) }, tx);
        return "applied";
      }),
  );
}

/** Counts an outcome, and for an applied event its delivery latency: from the producer's commit to now. */
function counted(
  metrics: EventMetrics | undefined,
  consumer: string,
  envelope: EventEnvelope,
  outcome: Outcome,
): Outcome {
  const labels = { consumer, type: envelope.type };
  metrics?.applied.inc({ ...labels, outcome });
  if (outcome === "applied") {
    metrics?.deliveryLatency.observe(labels, Math.max(0, Date.now() - envelope.time.getTime()) / 1000);
  }
  return outcome;
}
