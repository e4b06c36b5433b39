import type { Logger } from "@tessera/kit";
import type { Reservations } from "./reservations.ts";

export interface ExpirySweep {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Releases expired holds every `intervalMs`, in batches until none is due. Runs never overlap;
 * a failed run is logged and the next one tries again (the work is idempotent).
 *
 * @example
 *   const sweep = startExpirySweep({ reservations, intervalMs: 5_000, log });
 *   service.onStop(() => sweep.stop());
 */
export function startExpirySweep({
  reservations,
  intervalMs,
  log,
  batchSize = 100,
}: {
  reservations: Reservations;
  intervalMs: number;
  log: Logger;
  batchSize?: number;
}): ExpirySweep {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const sweep = async () => {
    try {
      let expired: number;
      do {
        expired = await reservations.expireDue(batchSize);
        if (expired > 0) log.info({ "reservations.expired": expired }, "expired reservations released");
      } while (expired === batchSize && !stopped);
    } catch (error) {
      log.error({ err: error }, "expiry sweep failed; retrying at the next interval");
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep().finally(schedule);
    }, intervalMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
