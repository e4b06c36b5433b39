import type { DescMessage } from "@bufbuild/protobuf";
import { setTimeout as sleep } from "node:timers/promises";
import { runWithContext } from "../context.ts";
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
      lastError = error;
      metrics?.handlerErrors.inc(labels);
      log.warn(
        { err: error, "event.id": envelope.id, "event.type": envelope.type, consumer, attempt },
        "event handler failed",
      );
      if (attempt < maxAttempts)
        await sleep(retryDelayMs(attempt), undefined, signal ? { signal } : undefined);
    }
  }

  await db.tx(async (tx) => {
    await parkDeadLetter(tx, consumer, envelope, lastError, maxAttempts);
    if (commit && commitWhenParked) await commit(tx);
  });
  metrics?.deadLetters.inc(labels);
  log.error(
    { err: lastError, "event.id": envelope.id, "event.type": envelope.type, consumer },
    "event dead-lettered",
  );
  return count("dead_lettered");
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
