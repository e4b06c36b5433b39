import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

export interface ArrivalsOptions {
  /** Arrivals per second. */
  rate: number;
  seconds: number;
  /** Stops scheduling early. */
  signal?: AbortSignal;
}

export interface Arrivals {
  /** How many arrivals were started: rate × seconds, rounded, unless stopped early. */
  count: number;
  /** The latest any arrival started after its scheduled instant, in ms (the client falling behind). */
  maxLagMs: number;
}

/**
 * An open-loop arrival process: `arrive(n, scheduledAt)` is called for arrival n at start + n / rate,
 * whatever the earlier arrivals are doing — it is started, never awaited, so a slow system cannot
 * slow the offered rate (the closed loop's flaw: by Little's law its rate falls as latency grows).
 * If the client falls behind, every overdue arrival starts at once and the lag is reported.
 *
 * @example
 *   const { count } = await scheduleArrivals({ rate: 100, seconds: 5 }, () => void placeOne());
 */
export async function scheduleArrivals(
  { rate, seconds, signal }: ArrivalsOptions,
  arrive: (n: number, scheduledAt: number) => void,
): Promise<Arrivals> {
  if (!(rate > 0) || !(seconds > 0))
    throw new RangeError(`rate and seconds must be positive: ${rate}/s, ${seconds} s`);
  const total = Math.round(rate * seconds);
  const intervalMs = 1_000 / rate;
  const start = performance.now();
  let maxLagMs = 0;
  let n = 0;
  while (n < total && !signal?.aborted) {
    const now = performance.now();
    const due = start + n * intervalMs;
    if (due > now) {
      await sleep(due - now);
      continue;
    }
    for (; n < total && start + n * intervalMs <= now; n++) {
      const scheduledAt = start + n * intervalMs;
      maxLagMs = Math.max(maxLagMs, now - scheduledAt);
      arrive(n, scheduledAt);
    }
  }
  return { count: n, maxLagMs };
}
