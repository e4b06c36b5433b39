import type { Server as HttpServer } from "node:http";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { BaseConfig, ConfigError, loadConfig, z } from "./config.ts";
import { createDb, type Db } from "./db.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { migrate, migrationsApplied, readMigrations, type Migration } from "./migrations.ts";
import { createOpsServer } from "./ops-server.ts";
import { createClient, type Client, type ClientOptions } from "./rpc/client.ts";
import type { AnyService } from "./rpc/definition.ts";
import { createRpcServer, type ServiceImpl } from "./rpc/server.ts";

/** The config every service with an RPC port and a database extends. */
export const RpcServiceConfig = BaseConfig.extend({
  GRPC_HOST: z.string().default("0.0.0.0"),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(0),
});

type ConfigShape = z.ZodObject<(typeof BaseConfig)["shape"] & { GRPC_PORT?: z.ZodType<number> }>;

export interface ServiceOptions<C extends ConfigShape> {
  name: string;
  /** A zod object extending `BaseConfig` (or `RpcServiceConfig`); add DATABASE_URL when using `migrations`. */
  config: C;
  /** Directory of `NNN_name.sql` files; when given, the service has a database (`DATABASE_URL`). */
  migrations?: string | URL;
  /** The environment to read; `process.env` when omitted (and a bad value then exits the process). */
  env?: Record<string, string | undefined>;
}

export interface Service<Config> {
  name: string;
  config: Readonly<Config>;
  log: Logger;
  metrics: Metrics;
  /** The service's database; only when `migrations` was given. */
  db: Db;
  /** Serves a generated service with plain-object handlers. */
  serve<S extends AnyService>(service: S, impl: ServiceImpl<S>): void;
  /** A typed client with this service's deadline, retries, breaker and metrics. */
  client<S extends AnyService>(service: S, address: string, options?: ClientOptions): Client<S>;
  /** Adds a readiness check; `/readyz` is 503 while any returns false. */
  readiness(name: string, check: () => Promise<boolean>): void;
  /** Runs in `start()` after migrations and before the RPC port opens (seeding, warm-up). */
  afterMigrate(fn: () => Promise<unknown> | void): void;
  /** Runs at shutdown, after the RPC server drained, in reverse order of registration. */
  onStop(fn: () => Promise<void> | void): void;
  /** Migrates, binds the RPC and ops ports, installs signal handlers. */
  start(): Promise<{ rpcPort: number; opsPort: number }>;
  stop(): Promise<void>;
}

/**
 * The one bootstrap: config, ECS logs, metrics, health, database and migrations, RPC server with
 * reflection and health, typed clients, graceful shutdown. `main.ts` wires a service with it.
 *
 * @example
 *   const service = await createService({ name: "catalog", config: CatalogConfig, migrations: new URL("../migrations", import.meta.url) });
 *   service.serve(CatalogService, catalogHandlers(new ProductStore(service.db)));
 *   await service.start();
 */
export async function createService<C extends ConfigShape>(
  options: ServiceOptions<C>,
): Promise<Service<z.infer<C>>> {
  const config = readConfig(options);
  const log = createLogger({ service: options.name, level: config.LOG_LEVEL });
  const metrics = createMetrics(options.name);
  const rpc = createRpcServer({ log, metrics });
  const stopHooks: (() => Promise<void> | void)[] = [];
  const startHooks: (() => Promise<unknown> | void)[] = [];
  const clients: { close(): void }[] = [];
  const checks = new Map<string, () => Promise<boolean>>();
  let served = false;
  let stopping = false;
  let ops: HttpServer | undefined;

  let db: Db | undefined;
  let migrations: Migration[] = [];
  if (options.migrations !== undefined) {
    const url = (config as { DATABASE_URL?: unknown }).DATABASE_URL;
    if (typeof url !== "string")
      throw new Error(`${options.name}: a service with migrations needs DATABASE_URL in its config`);
    const directory =
      options.migrations instanceof URL ? fileURLToPath(options.migrations) : options.migrations;
    migrations = await readMigrations(directory);
    const database = createDb({ connectionString: url, log, applicationName: options.name });
    db = database;
    checks.set("database", () => database.ping());
    checks.set("migrations", () => migrationsApplied(database, migrations));
  }

  const service: Service<z.infer<C>> = {
    name: options.name,
    config,
    log,
    metrics,
    get db(): Db {
      if (!db) throw new Error(`${options.name} was created without migrations, so it has no database`);
      return db;
    },
    serve(definition, impl) {
      served = true;
      rpc.add(definition, impl);
    },
    client(definition, address, clientOptions) {
      const client = createClient(definition, address, {
        deadlineMs: config.RPC_DEADLINE_MS,
        metrics,
        ...clientOptions,
      });
      clients.push(client);
      return client;
    },
    readiness(name, check) {
      checks.set(name, check);
    },
    afterMigrate(fn) {
      startHooks.push(fn);
    },
    onStop(fn) {
      stopHooks.push(fn);
    },
    async start() {
      if (db) await migrateWhenReachable(db, migrations, log);
      for (const hook of startHooks) await hook();
      let rpcPort = 0;
      if (served) {
        const port = (config as { GRPC_PORT?: number }).GRPC_PORT ?? 0;
        const host = (config as { GRPC_HOST?: string }).GRPC_HOST ?? "0.0.0.0";
        rpcPort = await rpc.listen(`${host.includes(":") ? `[${host}]` : host}:${port}`);
      }
      const server = createOpsServer(metrics.registry, async () => {
        const results: Record<string, boolean> = {};
        for (const [name, check] of checks) results[name] = await check();
        const ready = !stopping && Object.values(results).every(Boolean);
        return { ready, checks: results };
      });
      ops = server;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.OPS_PORT, "0.0.0.0", () => resolve());
      });
      const address = server.address();
      const opsPort = typeof address === "object" && address ? address.port : 0;
      installSignalHandlers(service, log, config.SHUTDOWN_TIMEOUT_MS);
      log.info({ "rpc.port": rpcPort, "ops.port": opsPort }, `${options.name} started`);
      return { rpcPort, opsPort };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      log.info("shutting down");
      if (served) await rpc.close(config.SHUTDOWN_TIMEOUT_MS);
      for (const hook of stopHooks.reverse()) {
        await Promise.resolve(hook()).catch((error: unknown) =>
          log.error({ err: error }, "stop hook failed"),
        );
      }
      for (const client of clients) client.close();
      await db?.close();
      await new Promise<void>((resolve) => (ops ? ops.close(() => resolve()) : resolve()));
      ops?.closeAllConnections();
      log.info("stopped");
      log.flush();
    },
  };
  return service;
}

function readConfig<C extends ConfigShape>(options: ServiceOptions<C>): Readonly<z.infer<C>> {
  try {
    return loadConfig(options.config, options.env ?? process.env);
  } catch (error) {
    if (options.env === undefined && error instanceof ConfigError) {
      // A misconfigured service stops at once, saying which variable to fix — no stack trace.
      process.stderr.write(`${options.name}: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

async function migrateWhenReachable(db: Db, migrations: Migration[], log: Logger): Promise<void> {
  // The database may start after us (compose, Kubernetes): wait for it, a bounded time.
  const giveUpAt = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, migrations, log);
      return;
    } catch (error) {
      const unreachable =
        (error as { code?: string }).code === "ECONNREFUSED" || /connect|timeout/i.test(String(error));
      if (!unreachable || Date.now() > giveUpAt) throw error;
      log.warn({ err: error, attempt }, "database not reachable yet; retrying");
      await sleep(Math.min(250 * attempt, 2_000));
    }
  }
}

function installSignalHandlers(service: Service<unknown>, log: Logger, timeoutMs: number): void {
  const shutdown = (signal: string) => {
    log.info({ signal }, "signal received");
    // The platform kills us after its grace period anyway; exit first, with a non-zero code, if draining hangs.
    setTimeout(() => {
      log.error("shutdown timed out; exiting");
      process.exit(1);
    }, timeoutMs + 1_500).unref();
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}
