export type SignalAction = "stop" | "kill" | "ignore";

/**
 * What each shutdown signal means: the first stops gracefully, a later one kills at once. One
 * Ctrl-C under `npm start` arrives twice — from the terminal and forwarded by npm — so a repeat
 * within `repeatWindowMs` of the first is the same keypress, not a second one.
 */
export function createShutdownPolicy(repeatWindowMs = 1_000, now = Date.now): () => SignalAction {
  let firstAt: number | undefined;
  return () => {
    const at = now();
    if (firstAt === undefined) {
      firstAt = at;
      return "stop";
    }
    return at - firstAt < repeatWindowMs ? "ignore" : "kill";
  };
}

/** Routes SIGINT, SIGTERM and SIGHUP (terminal closed) through the policy above. */
export function onShutdownSignals(handlers: { stop: () => void; kill: () => void }): void {
  const next = createShutdownPolicy();
  const onSignal = () => {
    const action = next();
    switch (action) {
      case "stop":
        return handlers.stop();
      case "kill":
        return handlers.kill();
      case "ignore":
        return;
    }
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
}
