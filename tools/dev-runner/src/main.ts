// `npm start`: the whole system on one machine. Wiring only; the work is in system.ts.
import { once } from "node:events";
import { ConfigError } from "@tessera/kit";
import { killTrackedNow } from "./processes.ts";
import { onShutdownSignals } from "./signals.ts";
import { startSystem } from "./system.ts";

const shutdown = new AbortController();
onShutdownSignals({
  stop: () => shutdown.abort(),
  kill: () => {
    killTrackedNow();
    process.exit(130);
  },
});

let system;
try {
  system = await startSystem({ signal: shutdown.signal });
} catch (error) {
  if (shutdown.signal.aborted) process.exit(0);
  process.stderr.write(`dev-runner: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 78 : 1);
}
if (!shutdown.signal.aborted) await once(shutdown.signal, "abort");
await system.stop();
process.exit(0);
