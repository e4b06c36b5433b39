import { BulkheadPolicy } from "cockatiel";
import {
  backoffDelay,
  inSpan,
  Notifier,
  runWithContext,
  ServiceError,
  SpanKind,
  type Logger,
  type Metrics,
} from "@tessera/kit";
import { ProcessorError } from "./card-processor.ts";
import type { ProcessorCall } from "./processor-call.ts";
import type { ProcessorCallStore } from "./processor-call-store.ts";

/** NOTIFY channel of migrations/003_processor_calls.sql: a call was recorded and committed. */
const channel = "processor_calls";

export interface ProcessorCallsOptions {
  /** The service's database; the worker listens on a connection of its own. */
  connectionString: string;
  store: ProcessorCallStore;
  /** Makes one call and records its outcome; throws to have it retried, or failed when not retryable. */
  settle: (call: ProcessorCall, shutdown: AbortSignal) => Promise<void>;
  /** Calls in flight at once (a bulkhead): the processor and our pool see no more than this. */
  concurrency: number;
  /** How long a taken-up call is left to its worker before another may take it up (a crash). */
  leaseMs: number;
  /** How often to look for due calls when no notification came (retries, a crashed worker's calls). */
  pollMs: number;
  /** The first retry's delay, about; later ones grow exponentially, with jitter, up to 30 s (`backoffDelay`). */
  retryBaseMs: number;
  log: Logger;
  metrics: Metrics;
}

export interface ProcessorCalls {
  /** Takes up pending calls at once (a crash's leftovers) and whenever one is recorded. */
  start(): void;
  /** Stops taking calls up, abandons those in flight and hands them back (pending, for any worker). */
  stop(): Promise<void>;
}

/**
 * The worker that makes recorded processor calls, outside any transaction, many at a time. It
 * takes up due calls as slots of its bulkhead free up, woken by the NOTIFY of a recording commit
 * and polling as a fallback; after a transient failure a call is retried when the kit's backoff
 * says (from `retryBaseMs`, up to 30 s), after a refusal it is marked failed. Any number of
 * replicas may run it: a call is leased to one worker at a time, and a repeated call gets the
 * processor's first answer anyway.
 *
 * @example
 *   const worker = createProcessorCalls({ connectionString, store, settle, concurrency: 32, … });
 *   service.beforeServing(() => worker.start());
 *   service.onStop(() => worker.stop());
 */
export function createProcessorCalls(options: ProcessorCallsOptions): ProcessorCalls {
  const { store, settle, log, leaseMs, pollMs } = options;
  const notifier = new Notifier(options.connectionString, [channel], log);
  const bulkhead = new BulkheadPolicy(options.concurrency, 0);
  const outcomes = options.metrics.counter(
    "payments_processor_calls_total",
    "Card processor calls taken up, by kind and outcome (settled, retried, failed, handed_back).",
    ["kind", "outcome"],
  );
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let loop: Promise<void> | undefined;

  async function run(call: ProcessorCall): Promise<void> {
    try {
      // In the trace the call was recorded in, if any, so the outcome's events continue it.
      await (call.traceparent
        ? inSpan(`processor ${call.kind}`, SpanKind.CLIENT, call.traceparent, {}, (traceparent) =>
            runWithContext({ traceparent }, () => settle(call, shutdown.signal)),
          )
        : settle(call, shutdown.signal));
      outcomes.inc({ kind: call.kind, outcome: "settled" });
    } catch (error) {
      await afterFailure(call, error).catch((storeError: unknown) =>
        log.warn({ err: storeError, "call.id": call.id }, "could not record a processor call's failure"),
      );
    } finally {
      // A slot is free, and the order's next call may now be due.
      notifier.poke(channel);
    }
  }

  async function afterFailure(call: ProcessorCall, error: unknown): Promise<void> {
    const fields = { err: error, "call.id": call.id, "call.kind": call.kind, "order.id": call.orderId };
    if (shutdown.signal.aborted) {
      outcomes.inc({ kind: call.kind, outcome: "handed_back" });
      return store.release(call.id);
    }
    const message = error instanceof Error ? error.message : String(error);
    if (!retryable(error)) {
      outcomes.inc({ kind: call.kind, outcome: "failed" });
      log.error(fields, "processor call refused; it will not be made again");
      return store.fail(call.id, message);
    }
    outcomes.inc({ kind: call.kind, outcome: "retried" });
    // The failures are counted on the call (any replica may make it next), not in a running loop.
    const delayMs = backoffDelay(call.failures + 1, { initialMs: options.retryBaseMs, maxMs: 30_000 });
    log.warn(
      { ...fields, attempt: call.attempts, "retry.delay_ms": delayMs },
      "processor call failed; retrying",
    );
    return store.retryLater(call.id, delayMs, message);
  }

  async function work(): Promise<void> {
    while (!shutdown.signal.aborted) {
      const mark = notifier.mark(channel);
      const free = bulkhead.executionSlots;
      let claimed: ProcessorCall[] = [];
      if (free > 0) {
        claimed = await store.claim(free, leaseMs).catch((error: unknown) => {
          log.warn({ err: error }, "could not look for processor calls; retrying");
          return [];
        });
      }
      for (const call of claimed) {
        // The bulkhead counts the slot synchronously, so `executionSlots` is right on the next turn.
        // It cannot refuse (no more were claimed than it had free); if it did, the lease hands the call on.
        const running = bulkhead
          .execute(() => run(call))
          .catch((error: unknown) => log.error({ err: error, "call.id": call.id }, "processor call not run"));
        inFlight.add(running);
        void running.finally(() => inFlight.delete(running));
      }
      // Claimed every free slot: more may be due. Otherwise wait for a commit, a free slot or the poll.
      if (free === 0 || claimed.length < free) {
        await notifier.wait(channel, pollMs, shutdown.signal, mark);
      }
    }
  }

  return {
    start() {
      if (loop) return;
      notifier.start();
      loop = work().catch((error: unknown) => log.error({ err: error }, "processor call worker stopped"));
    },
    async stop() {
      shutdown.abort(new Error("payments is stopping"));
      await loop;
      await Promise.allSettled([...inFlight]);
      await notifier.close();
    },
  };
}

/** Whether making the call again may succeed: not after a refusal by the processor or the domain. */
function retryable(error: unknown): boolean {
  if (error instanceof ProcessorError) return error.retryable;
  if (error instanceof ServiceError) {
    return ["unavailable", "deadline_exceeded", "aborted", "resource_exhausted", "internal"].includes(
      error.code,
    );
  }
  // A database error (connection lost, serialization): the call is made again, its answer repeated.
  return true;
}
