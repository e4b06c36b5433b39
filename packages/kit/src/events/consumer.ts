import type { DescMessage } from "@bufbuild/protobuf";
import { ExponentialBackoff } from "cockatiel";
import { setTimeout as sleep } from "node:timers/promises";
import { isConnectionFailure } from "../connection-errors.ts";
import { runWithContext } from "../context.ts";
import { ServiceError } from "../errors.ts";
import { inSpan, SpanKind } from "../tracing.ts";
import type { Db, Tx } from "../db.ts";
import type { Logger } from "../logger.ts";
import { decodeData, envelopeToJson, type EventEnvelope, type ReceivedEvent } from "./envelope.ts";
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

export type Outcome = "applied" | "duplicate" | "skipped" | "dead_lettered";

export interface ApplyOptions {
  db: Db;
  log: Logger;
  metrics?: EventMetrics;
  /** Attempts before the event is parked as a dead letter. */
  maxAttempts?: number;
  /** Delay before retry number `attempt` (1-based). */
  retryDelayMs?: (attempt: number) => number;
  /** Runs in the same transaction as the effect (or the skip, or the parking): a consumer offset. */
  commit?: (tx: Tx) => Promise<void>;
  /** Whether `commit` also runs when the event is parked as a dead letter (default true). */
  commitWhenParked?: boolean;
  signal?: AbortSignal;
}

export const defaultRetryDelay = (attempt: number) => Math.min(50 * 2 ** (attempt - 1), 5_000);

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
    retryDelayMs = defaultRetryDelay,
    commit,
    commitWhenParked = true,
    signal,
  }: ApplyOptions,
): Promise<Outcome> {
  const consumer = subscription.name;
  const labels = { consumer, type: envelope.type };
  const schema = subscription.types.get(envelope.type);
  const count = (outcome: Outcome) => {
    metrics?.applied.inc({ ...labels, outcome });
    if (outcome === "applied") {
      metrics?.deliveryLatency.observe(labels, Math.max(0, Date.now() - envelope.time.getTime()) / 1000);
    }
    return outcome;
  };
  if (!schema) {
    if (commit) await db.tx(commit);
    return count("skipped");
  }

  let lastError: unknown;
  let attempts = 0;
  const waitForDatabase = databaseOutage(log, { "event.id": envelope.id, consumer }, signal);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (signal?.aborted) throw signal.reason;
    try {
      const span = `process ${envelope.type}`;
      const attributes = { "messaging.consumer.group.name": consumer, "messaging.message.id": envelope.id };
      const outcome = await inSpan(
        span,
        SpanKind.CONSUMER,
        envelope.traceparent || undefined,
        attributes,
        (traceparent) =>
          runWithContext({ traceparent }, () =>
            db.tx(async (tx): Promise<Outcome> => {
              const inserted = await tx.query(
                "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [consumer, envelope.id],
              );
              if (inserted.rowCount === 1) {
                const data = decodeData(schema, envelope.data);
                await subscription.handler({ envelope, data }, tx);
              }
              if (commit) await commit(tx);
              return inserted.rowCount === 1 ? "applied" : "duplicate";
            }),
          ),
      );
      return count(outcome);
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
      if (attempt < maxAttempts)
        await sleep(retryDelayMs(attempt), undefined, signal ? { signal } : undefined);
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
  return count("dead_lettered");
}

/** How long an event waits in hand for its database before it is left to the transport to redeliver. */
const outageLimitMs = 60_000;
const outageBackoff = new ExponentialBackoff({ initialDelay: 100, maxDelay: 5_000 });

/** Waits out a database outage with jittered backoff; rethrows `error` once it lasted too long. */
function databaseOutage(log: Logger, fields: Record<string, string>, signal?: AbortSignal) {
  let since: number | undefined;
  let delay = outageBackoff.next();
  return async (error: unknown): Promise<void> => {
    if (since === undefined) {
      since = Date.now();
      log.warn({ err: error, ...fields }, "database unavailable; the event waits for it");
    } else if (Date.now() - since > outageLimitMs) {
      throw error;
    }
    await sleep(delay.duration, undefined, signal ? { signal } : undefined);
    delay = delay.next(undefined);
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
  envelopes.forEach((envelope, i) => {
    const outcome = outcomes[i]!;
    const labels = { consumer: subscription.name, type: envelope.type };
    metrics?.applied.inc({ ...labels, outcome });
    if (outcome === "applied") {
      metrics?.deliveryLatency.observe(labels, Math.max(0, Date.now() - envelope.time.getTime()) / 1000);
    }
  });
  return outcomes;
}

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
