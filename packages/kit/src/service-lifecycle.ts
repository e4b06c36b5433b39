import type { Server as HttpServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { isConnectionFailure } from "./connection-errors.ts";
import type { Db } from "./db.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { migrate, type Migration } from "./migrations.ts";
import { createOpsServer } from "./ops-server.ts";
import { recentSpans } from "./tracing.ts";

/** Applies the migrations, waiting a bounded time for a database that starts after us (compose, Kubernetes). */
export async function migrateWhenReachable(db: Db, migrations: Migration[], log: Logger): Promise<void> {
  const giveUpAt = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, migrations, log);
      return;
    } catch (error) {
      if (!isConnectionFailure(error) || Date.now() > giveUpAt) throw error;
      log.warn({ err: error, attempt }, "database not reachable yet; retrying");
      await sleep(Math.min(250 * attempt, 2_000));
    }
  }
}

/** Starts the ops HTTP server (`/healthz`, `/readyz` from `checks`, `/metrics`) and returns it with its port. */
export async function listenOps(
  metrics: Metrics,
  checks: ReadonlyMap<string, () => Promise<boolean>>,
  stopping: () => boolean,
  host: string,
  port: number,
): Promise<{ server: HttpServer; port: number }> {
  const server = createOpsServer(
    metrics.registry,
    async () => {
      const results: Record<string, boolean> = {};
      for (const [name, check] of checks) results[name] = await check();
      return { ready: !stopping() && Object.values(results).every(Boolean), checks: results };
    },
    recentSpans(),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === "object" && address ? address.port : 0 };
}

/** Closes the ops server without waiting for keep-alive or half-sent requests. */
export async function closeOps(server: HttpServer): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** Installs SIGTERM/SIGINT handlers that run `stop` and exit; returns their removal. */
export function installSignalHandlers(stop: () => Promise<void>, log: Logger, timeoutMs: number): () => void {
  const shutdown = (signal: string) => {
    log.info({ signal }, "signal received");
    // The platform kills us after its grace period anyway; exit first, with a non-zero code, if draining hangs.
    setTimeout(() => {
      log.error("shutdown timed out; exiting");
      process.exit(1);
    }, timeoutMs + 1_500).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  const onTerm = () => shutdown("SIGTERM");
  const onInt = () => shutdown("SIGINT");
  process.once("SIGTERM", onTerm);
  process.once("SIGINT", onInt);
  return () => {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  };
}
