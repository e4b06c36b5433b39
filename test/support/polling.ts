import { setTimeout as sleep } from "node:timers/promises";

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Gives up at once, with the signal's reason, when it aborts (the thing waited for died). */
  signal?: AbortSignal;
}

/**
 * Calls `check` until it returns something other than `undefined`, and returns that. A `check`
 * that throws means "not yet, because…": after `timeoutMs` the error names what was awaited and
 * the last reason.
 *
 * @example
 *   await waitUntil("the catalog to be ready", async () => {
 *     const { status } = await fetch(url);
 *     if (status !== 200) throw new Error(`/readyz answered ${status}`);
 *     return true;
 *   }, { timeoutMs: 20_000 });
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs, intervalMs = 100, signal }: PollOptions,
): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const result = await check();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= giveUpAt) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason(lastError)}`, {
        cause: lastError,
      });
    }
    // An abort while sleeping surfaces as its reason, not as a bare AbortError.
    await sleep(intervalMs, undefined, { signal }).catch((error: unknown) => {
      signal?.throwIfAborted();
      throw error;
    });
  }
}

function reason(error: unknown): string {
  if (error === undefined) return "";
  return ` (last: ${error instanceof Error ? error.message : JSON.stringify(error)})`;
}
