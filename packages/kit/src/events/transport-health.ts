/** A part of the transport that is failing now, since when and why. */
export interface TransportProblem {
  component: string;
  since: number;
  error: string;
  /** Whether it makes the service unready (a broker it cannot use), or is only reported. */
  gatesReadiness: boolean;
}

export interface TransportHealthOptions {
  /** How long a part may fail before the service reports itself unready: brief broker blips stay ready. */
  unhealthyAfterMs: number;
  now?: () => number;
}

/**
 * What the event transport's parts (relay, broker connection, consumers) last reported: a part is
 * failing from its first failure until it next succeeds. Readiness and metrics read it.
 *
 * @example
 *   const health = createTransportHealth({ unhealthyAfterMs: 15_000 });
 *   health.failed("relay", error);   // … and after a delivery that worked:
 *   health.succeeded("relay");
 *   if (!health.ready()) …
 */
export function createTransportHealth({ unhealthyAfterMs, now = Date.now }: TransportHealthOptions) {
  const failing = new Map<string, TransportProblem>();

  return {
    succeeded(component: string): void {
      failing.delete(component);
    },

    /** Keeps the first failure's time, so "failing for" counts from when it broke; the error is the latest. */
    failed(component: string, error: unknown, { gatesReadiness = true } = {}): void {
      const since = failing.get(component)?.since ?? now();
      failing.set(component, { component, since, error: describeError(error), gatesReadiness });
    },

    /** Failing parts, longest first, with how long each has been failing. */
    problems(): (TransportProblem & { failingMs: number })[] {
      const at = now();
      return [...failing.values()]
        .map((problem) => ({ ...problem, failingMs: at - problem.since }))
        .sort((a, b) => b.failingMs - a.failingMs);
    },

    /** False while a part that gates readiness has been failing longer than `unhealthyAfterMs`. */
    ready(): boolean {
      const at = now();
      return ![...failing.values()].some(
        (problem) => problem.gatesReadiness && at - problem.since > unhealthyAfterMs,
      );
    },
  };
}

export type TransportHealth = ReturnType<typeof createTransportHealth>;

/** The error's message with its causes: "stream TESSERA_ORDERS is missing: stream not found". */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current !== undefined && depth < 4; depth++) {
    const message =
      current instanceof Error
        ? current.message
        : typeof current === "string"
          ? current
          : JSON.stringify(current);
    if (message && !parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ").slice(0, 1_000);
}
