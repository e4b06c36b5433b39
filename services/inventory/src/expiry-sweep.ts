import type { Logger } from "@tessera/kit";
import type { Reservations } from "./reservations.ts";

/**
 * One run of the expiry sweep: releases expired holds in batches until a batch comes back short
 * (none is due any more) or `signal` aborts. Each release is idempotent, so a failed run is simply
 * done again by the next one; the wiring runs this every INVENTORY_SWEEP_INTERVAL_MS.
 *
 * @example
 *   service.every("expiry-sweep", 5_000, (signal) => releaseExpired({ reservations, log, signal }));
 */
export async function releaseExpired({
  reservations,
  log,
  signal,
  batchSize = 100,
}: {
  reservations: Reservations;
  log: Logger;
  signal?: AbortSignal;
  batchSize?: number;
}): Promise<number> {
  let released = 0;
  let expired: number;
  do {
    expired = await reservations.expireDue(batchSize);
    released += expired;
    if (expired > 0) log.info({ "reservations.expired": expired }, "expired reservations released");
  } while (expired === batchSize && !signal?.aborted);
  return released;
}
