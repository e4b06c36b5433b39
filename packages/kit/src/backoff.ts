import { ExponentialBackoff, type IBackoff } from "cockatiel";

/** How retries of one kind space out: from `initialMs`, about doubling with jitter, never above `maxMs`. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

/** The delays of one run of failures: `next()` after each failure, `reset()` once it works again. */
export interface Backoff {
  next(): number;
  reset(): void;
}

const defaults = { initialMs: 100, maxMs: 5_000 };

/**
 * Tessera's one retry policy, cockatiel's exponential backoff with decorrelated jitter: every
 * reconnect, relay, handler retry and periodic job that failed waits by it, so replicas that failed
 * together do not retry together.
 *
 * @example
 *   const backoff = createBackoff({ initialMs: 100, maxMs: 5_000 });
 *   for (;;) { try { await connect(); backoff.reset(); break; } catch { await sleep(backoff.next()); } }
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const policy = new ExponentialBackoff({
    initialDelay: options.initialMs ?? defaults.initialMs,
    maxDelay: options.maxMs ?? defaults.maxMs,
  });
  let state: IBackoff<unknown> | undefined;
  return {
    next() {
      state = state ? state.next(undefined) : policy.next();
      return Math.round(state.duration);
    },
    reset() {
      state = undefined;
    },
  };
}

/**
 * The delay before retry number `attempt` (from 1) when the attempts are counted elsewhere — an
 * event's attempts live in the database, not in a running loop. Same policy as `createBackoff`.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const backoff = createBackoff(options);
  let delay = 0;
  // The jittered curve reaches its cap well within 40 steps for any initial delay of 1 ms or more.
  for (let step = 0; step < Math.min(Math.max(attempt, 1), 40); step++) delay = backoff.next();
  return delay;
}
