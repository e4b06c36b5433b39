import type { Db, Logger } from "@tessera/kit";
import type { IdempotencyKeys } from "./idempotency-keys.ts";
import type { SagaRunner } from "./saga-runner.ts";

export interface TimeoutSweepOptions {
  db: Db;
  saga: SagaRunner;
  log: Logger;
  intervalMs: number;
  /** Whose expired keys each tick forgets too. */
  keys?: IdempotencyKeys;
  /** Orders handled per tick at most, so one tick never runs unbounded. */
  batch?: number;
}

/**
 * Times out overdue orders every `intervalMs`: each in its own transaction, skipping orders another
 * replica's sweep holds; and forgets expired idempotency keys. A failing tick is logged and the next
 * one tries again.
 */
export function startTimeoutSweep({ db, saga, log, intervalMs, keys, batch = 100 }: TimeoutSweepOptions) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = async () => {
    try {
      const handled = await sweepOverdue(db, saga, batch);
      if (handled > 0) log.info({ "orders.timed_out": handled }, "timed out overdue orders");
      const forgotten = (await keys?.deleteExpired()) ?? 0;
      if (forgotten > 0)
        log.info({ "idempotency_keys.deleted": forgotten }, "forgot expired idempotency keys");
    } catch (error) {
      log.warn({ err: error }, "timeout sweep failed; retrying next tick");
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, intervalMs);
  };
  schedule();

  return {
    /** Stops scheduling and waits for a tick in progress. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Times out overdue orders until none is left or `limit` were handled; returns how many. */
export async function sweepOverdue(db: Db, saga: SagaRunner, limit = 100): Promise<number> {
  let handled = 0;
  while (handled < limit && (await saga.timeOutNext(db))) handled++;
  return handled;
}
