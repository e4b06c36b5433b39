import type { Db, Logger } from "@tessera/kit";
import type { IdempotencyKeys } from "./idempotency-keys.ts";
import type { SagaRunner } from "./saga-runner.ts";

export interface TimeoutSweepOptions {
  db: Db;
  saga: SagaRunner;
  log: Logger;
  /** Whose expired keys each run forgets too. */
  keys?: IdempotencyKeys;
  /** Orders handled per run at most, so one run never goes on unbounded. */
  batch?: number;
}

/**
 * One run of the timeout sweep: times out overdue orders, each in its own transaction and skipping
 * orders another replica's sweep holds, then forgets expired idempotency keys. The wiring runs this
 * every ORDERS_TIMEOUT_SWEEP_MS; a failed run is done again by the next one.
 *
 * @example
 *   service.every("timeout-sweep", 1_000, () => sweepTimeouts({ db, saga, log, keys }));
 */
export async function sweepTimeouts({
  db,
  saga,
  log,
  keys,
  batch = 100,
}: TimeoutSweepOptions): Promise<void> {
  const handled = await sweepOverdue(db, saga, batch);
  if (handled > 0) log.info({ "orders.timed_out": handled }, "timed out overdue orders");
  const forgotten = (await keys?.deleteExpired()) ?? 0;
  if (forgotten > 0) log.info({ "idempotency_keys.deleted": forgotten }, "forgot expired idempotency keys");
}

/** Times out overdue orders until none is left or `limit` were handled; returns how many. */
export async function sweepOverdue(db: Db, saga: SagaRunner, limit = 100): Promise<number> {
  let handled = 0;
  while (handled < limit && (await saga.timeOutNext(db))) handled++;
  return handled;
}
