import type { Server as HttpServer } from "node:http";
import { fileURLToPath } from "node:url";
import { EventsService } from "@tessera/contracts/events/v1";
import { serviceAuth } from "./auth/service-auth.ts";
import { ConfigError, loadConfigInto, type BaseConfig, type ConfigProblem, type z } from "./config.ts";
import { createDb, type Db } from "./db.ts";
import type { EventBus } from "./events/bus.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { migrationsApplied, readKitMigrations, readMigrations, type Migration } from "./migrations.ts";
import { startPeriodicJob, type PeriodicJob, type PeriodicRun } from "./periodic.ts";
import { createClient, type Client, type ClientOptions } from "./rpc/client.ts";
import type { AnyService } from "./rpc/definition.ts";
import { createRpcServer, type ServiceImpl } from "./rpc/server.ts";
import {
  AuthConfig,
  DatabaseConfig,
  EventsConfig,
  RpcListenSettings,
  type AuthSettings,
} from "./service-config.ts";
import { createServiceEventBus, type DatabaseSettings } from "./service-events.ts";
import {
  channelCredentials,
  readTlsMaterial,
  serverCredentials,
  TlsConfig,
  type TlsMaterial,
} from "./tls-config.ts";
import { closeOps, installSignalHandlers, listenOps, migrateWhenReachable } from "./service-lifecycle.ts";
import { pageTokenKeyOf, type PageTokenKey } from "./page-token.ts";
import { setUpTracing, shutdownTracing } from "./tracing.ts";

type ConfigShape = z.ZodObject<(typeof BaseConfig)["shape"]>;

export interface ServiceOptions<C extends ConfigShape> {
  name: string;
  /** The service's settings: a zod object extending `BaseConfig`, or `RpcServiceConfig` when it serves RPCs. */
  config: C;
  /**
   * The service has a PostgreSQL database (`DATABASE_URL`, read by the kit) holding its data, its
   * outbox and its inbox; `migrations` is its directory of `NNN_name.sql` files, if it has tables of its own.
   */
  database?: { migrations?: string | URL };
  /**
   * Where each producer whose events this service subscribes to serves them, by producer name (the
   * `tessera.<producer>.v1` package of the event): the direct transport streams from there.
   *
   * @example producers: { orders: (config) => config.ORDERS_ADDR }
   */
  producers?: Readonly<Record<string, (config: Readonly<z.infer<C>>) => string>>;
  /** The environment to read; `process.env` when omitted (and a bad value then exits the process). */
  env?: Record<string, string | undefined>;
}

export interface Service<Config> {
  name: string;
  config: Readonly<Config>;
  log: Logger;
  metrics: Metrics;
  /** The service's database; only when created with `database`. */
  db: Db;
  /**
   * The key sealing the service's page tokens (`createPageTokens`), derived from its
   * AUTH_CLIENT_SECRET: the same in every replica, no use to any other service.
   */
  pageTokenKey: PageTokenKey;
  /** Serves a generated service with plain-object handlers. */
  serve<S extends AnyService>(service: S, impl: ServiceImpl<S>): void;
  /** A typed client with this service's deadline, retries, breaker and metrics. */
  client<S extends AnyService>(service: S, address: string, options?: ClientOptions): Client<S>;
  /** Adds a readiness check; `/readyz` is 503 while any returns false. */
  readiness(name: string, check: () => Promise<boolean>): void;
  /** Publishes an event through the outbox, in `tx`: delivered if and only if `tx` commits. */
  publish: EventBus["publish"];
  /** Publishes several events through the outbox in `tx` with one statement, in the order given. */
  publishAll: EventBus["publishAll"];
  /** Subscribes a handler to event types; it runs once per event, in the transaction recording it. */
  subscribe: EventBus["subscribe"];
  /** The event bus (metrics, handlers); only when the service has a database. */
  events: EventBus;
  /** Runs in `start()` after migrations, before events flow and the RPC port opens: seeding, warm-up. */
  beforeServing(fn: () => Promise<unknown> | void): void;
  /** Runs `run` every `intervalMs` once started, never overlapping, until stop (see `startPeriodicJob`). */
  every(name: string, intervalMs: number, run: PeriodicRun): void;
  /** Runs at shutdown, after the RPC server drained, in reverse order of registration. */
  onStop(fn: () => Promise<void> | void): void;
  /** Migrates, binds the RPC and ops ports, starts the periodic jobs, installs signal handlers. */
  start(): Promise<{ rpcPort: number; opsPort: number }>;
  stop(): Promise<void>;
}

/**
 * The one bootstrap: config, ECS logs, metrics, health, database and migrations, events, RPC
 * server with reflection and health, typed clients, periodic jobs, graceful shutdown.
 *
 * @example
 *   const service = await createService({
 *     name: "catalog",
 *     config: CatalogConfig,
 *     database: { migrations: new URL("../migrations", import.meta.url) },
 *   });
 *   service.serve(CatalogService, catalogHandlers(new ProductStore(service.db)));
 *   await service.start();
 */
export async function createService<C extends ConfigShape>(
  options: ServiceOptions<C>,
): Promise<Service<z.infer<C>>> {
  const { config, database, auth, tls } = readConfig(options);
  const log = createLogger({ service: options.name, level: config.LOG_LEVEL });
  await setUpTracing({
    service: options.name,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    bufferSpans: config.TRACE_BUFFER_SPANS,
  });
  const metrics = createMetrics(options.name);
  const { authenticate, ownToken } = serviceAuth(options.name, auth);
  const pageTokenKey = pageTokenKeyOf(auth.AUTH_CLIENT_SECRET);
  const rpc = createRpcServer({ log, metrics, authenticate, credentials: serverCredentials(tls) });
  // One channel credentials for all the service's clients (the event transport's too): mTLS or plaintext.
  const transport = channelCredentials(tls);
  const stopHooks: (() => Promise<void> | void)[] = [];
  const startHooks: (() => Promise<unknown> | void)[] = [];
  const jobs: Omit<Parameters<typeof startPeriodicJob>[0], "log" | "metrics">[] = [];
  const runningJobs: PeriodicJob[] = [];
  const clients: { close(): void }[] = [];
  const checks = new Map<string, () => Promise<boolean>>();
  let served = false;
  let stopping = false;
  let ops: HttpServer | undefined;
  let removeSignalHandlers: (() => void) | undefined;

  let db: Db | undefined;
  let bus: EventBus | undefined;
  let migrations: Migration[] = [];
  if (database) {
    const directory = options.database?.migrations;
    const path = directory instanceof URL ? fileURLToPath(directory) : directory;
    migrations = [...(await readKitMigrations()), ...(path ? await readMigrations(path) : [])];
    const connected = createDb({
      connectionString: database.DATABASE_URL,
      log,
      applicationName: options.name,
    });
    db = connected;
    const { pool } = connected;
    metrics.gauge(
      "db_pool_connections",
      "Database connections of this process, by state: used, idle.",
      ["state"],
      (g) => {
        g.set({ state: "used" }, pool.totalCount - pool.idleCount);
        g.set({ state: "idle" }, pool.idleCount);
      },
    );
    metrics.gauge("db_pool_pending_requests", "Callers waiting for a database connection.", [], (g) =>
      g.set(pool.waitingCount),
    );
    // The event streams are the service's own business, whichever request happens to open them.
    bus = createServiceEventBus(options, config, database, connected, log, metrics, pageTokenKey, (address) =>
      service.client(EventsService, address, { forwardCallerToken: false }),
    );
    rpc.add(EventsService, bus.handlers());
    served = true;
    const events = bus;
    checks.set("database", () => connected.ping());
    checks.set("migrations", () => migrationsApplied(connected, migrations));
    checks.set("events", () => Promise.resolve(events.ready()));
  }

  const service: Service<z.infer<C>> = {
    name: options.name,
    config,
    log,
    metrics,
    pageTokenKey,
    get db(): Db {
      if (!db) throw new Error(`${options.name} was created without a database`);
      return db;
    },
    get events(): EventBus {
      if (!bus) throw new Error(`${options.name} was created without a database, so it has no events`);
      return bus;
    },
    publish(tx, schema, data, meta) {
      return service.events.publish(tx, schema, data, meta);
    },
    publishAll(tx, messages) {
      return service.events.publishAll(tx, messages);
    },
    subscribe(name, types, handler) {
      service.events.subscribe(name, types, handler);
    },
    serve(definition, impl) {
      served = true;
      rpc.add(definition, impl);
    },
    client(definition, address, clientOptions) {
      const client = createClient(definition, address, {
        deadlineMs: config.RPC_DEADLINE_MS,
        metrics,
        credentials: ownToken,
        channelCredentials: transport,
        ...clientOptions,
      });
      clients.push(client);
      return client;
    },
    readiness(name, check) {
      checks.set(name, check);
    },
    beforeServing(fn) {
      startHooks.push(fn);
    },
    every(name, intervalMs, run) {
      jobs.push({ name, intervalMs, run });
    },
    onStop(fn) {
      stopHooks.push(fn);
    },
    async start() {
      if (db) await migrateWhenReachable(db, migrations, log);
      for (const hook of startHooks) await hook();
      await bus?.start();
      let rpcPort = 0;
      if (served) {
        const { GRPC_HOST: host, GRPC_PORT: port } = RpcListenSettings.parse(config);
        rpcPort = await rpc.listen(`${host.includes(":") ? `[${host}]` : host}:${port}`);
      }
      const opsServer = await listenOps(metrics, checks, () => stopping, config.OPS_HOST, config.OPS_PORT);
      ops = opsServer.server;
      for (const job of jobs) runningJobs.push(startPeriodicJob({ ...job, log, metrics }));
      removeSignalHandlers = installSignalHandlers(() => service.stop(), log, config.SHUTDOWN_TIMEOUT_MS);
      log.info({ "rpc.port": rpcPort, "ops.port": opsServer.port }, `${options.name} started`);
      return { rpcPort, opsPort: opsServer.port };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      removeSignalHandlers?.();
      log.info("shutting down");
      await Promise.all(runningJobs.map((job) => job.stop()));
      await bus?.stop();
      if (served) await rpc.close(config.SHUTDOWN_TIMEOUT_MS);
      for (const hook of stopHooks.reverse()) {
        // `then(hook)` so that a hook throwing synchronously is caught too, and the rest still closes.
        await Promise.resolve()
          .then(hook)
          .catch((error: unknown) => log.error({ err: error }, "stop hook failed"));
      }
      for (const client of clients) client.close();
      await db?.close();
      if (ops) await closeOps(ops);
      await shutdownTracing();
      log.info("stopped");
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
  };
  return service;
}

/**
 * The service's settings, the kit's auth settings, and its database and event settings when it has
 * a database, read from one environment; every bad variable of all of them is reported at once.
 */
function readConfig<C extends ConfigShape>(
  options: ServiceOptions<C>,
): {
  config: Readonly<z.infer<C>>;
  database: Readonly<DatabaseSettings> | undefined;
  auth: Readonly<AuthSettings>;
  tls: TlsMaterial | undefined;
} {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const config = loadConfigInto(problems, options.config, env);
  const database = options.database && loadConfigInto(problems, DatabaseConfig, env);
  const events = options.database && loadConfigInto(problems, EventsConfig, env);
  const auth = loadConfigInto(problems, AuthConfig, env);
  const tlsSettings = loadConfigInto(problems, TlsConfig, env);
  const tls = tlsSettings && readTlsMaterial(problems, tlsSettings);
  if (config === undefined || auth === undefined || problems.length > 0) {
    // A variable both the service and the kit read (DATABASE_URL) is named once.
    const error = new ConfigError([...new Map(problems.map((p) => [p.variable, p])).values()]);
    if (options.env !== undefined) throw error;
    // A misconfigured service stops at once, saying which variable to fix — no stack trace.
    process.stderr.write(`${options.name}: ${error.message}\n`);
    process.exit(78);
  }
  return {
    config,
    database: database && events ? Object.freeze({ ...database, ...events }) : undefined,
    auth,
    tls,
  };
}
