export interface BackoffPolicy {
  /** Delay before the first restart. */
  initialMs: number;
  /** The delay doubles per consecutive crash up to this cap. */
  maxMs: number;
  /** A run at least this long counts as healthy: the next crash starts the schedule over. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 10_000, resetAfterMs: 30_000 };

/** How many crashes in a row, counting this one, given how long the process ran before it. */
export function consecutiveCrashes(previous: number, uptimeMs: number, policy = DEFAULT_BACKOFF): number {
  return uptimeMs >= policy.resetAfterMs ? 1 : previous + 1;
}

/** The wait before restarting after the n-th consecutive crash (n ≥ 1): 0.5 s, 1 s, 2 s … 10 s. */
export function restartDelay(crashes: number, policy = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, crashes - 1);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(exponent, 30));
}
