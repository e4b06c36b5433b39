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
  /** Whether `commit` also runs when the event is parked as a dead letter (default true). */
  commitWhenParked?: boolean;
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
    signal,
  }: ApplyOptions,
): Promise<Outcome> {
  const consumer = subscription.name;
  const labels = { consumer, type: envelope.type };
  if (!subscription.types.has(envelope.type)) {
    if (commit) await db.tx(commit);
    return counted(metrics, consumer, envelope, "skipped");
  }

  let lastError: unknown;
  let attempts = 0;
  const waitForDatabase = databaseOutage(log, { "event.id": envelope.id, consumer }, signal);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (signal?.aborted) throw signal.reason;
    try {
      const outcome = await db.tx(async (tx) => {
        const outcome = await applyInTransaction(subscription, envelope, tx);
        if (commit) await commit(tx);
        return outcome;
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
    outcomes = await db.tx(async (tx) => {
      const results: Outcome[] = [];
      for (const envelope of envelopes) results.push(await applyInTransaction(subscription, envelope, tx));
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
 * The event's effect inside `tx`, in a consumer span continuing the producer's trace: the inbox
 * insert, then the handler only if the insert was new. A type the subscription does not take is skipped.
 */
async function applyInTransaction(
  subscription: Subscription,
  envelope: EventEnvelope,
  tx: Tx,
): Promise<Outcome> {
  const schema = subscription.types.get(envelope.type);
  if (!schema) return "skipped";
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
        const inserted = await tx.query(
          "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
          [subscription.name, envelope.id],
        );
        if (inserted.rowCount !== 1) return "duplicate";
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

const notReady = Symbol("not ready");

/**
 * Groups what an async source already has available into arrays of at most `max`, without
 * waiting for more: under load events arrive in batches, when idle one at a time.
 */
export async function* batched<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  for (;;) {
    const first = await pending;
    if (first.done) return;
    const batch = [first.value];
    pending = iterator.next();
    while (batch.length < max) {
      const next = await Promise.race([
        pending,
        new Promise<typeof notReady>((resolve) => setImmediate(resolve, notReady)),
      ]);
      if (next === notReady) break;
      if (next.done) {
        yield batch;
        return;
      }
      batch.push(next.value);
      pending = iterator.next();
    }
    yield batch;
  }
}
