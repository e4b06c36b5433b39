import type { Server as HttpServer } from "node:http";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { BaseConfig, ConfigError, loadConfig, z } from "./config.ts";
import { isConnectionFailure } from "./connection-errors.ts";
import { createDb, type Db } from "./db.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import {
  migrate,
  migrationsApplied,
  readKitMigrations,
  readMigrations,
  type Migration,
} from "./migrations.ts";
import { createOpsServer } from "./ops-server.ts";
import { createClient, type Client, type ClientOptions } from "./rpc/client.ts";
import type { AnyService } from "./rpc/definition.ts";
import { createRpcServer, type ServiceImpl } from "./rpc/server.ts";
import { setUpTracing, shutdownTracing } from "./tracing.ts";
import { EventsService } from "@tessera/contracts/events/v1";
import { createEventBus, type EventBus, type TransportName } from "./events/bus.ts";

/** The config every service with an RPC port and a database extends. */
export const RpcServiceConfig = BaseConfig.extend({
  GRPC_HOST: z.string().default("0.0.0.0"),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** How events travel: straight from the producer's outbox (embedded), through NATS JetStream or Kafka. */
  EVENTS_TRANSPORT: z.enum(["direct", "nats", "kafka"]).default("direct"),
  NATS_URL: z
    .string()
    .regex(/^nats:\/\/[^\s]+$/, "must be a nats:// URL")
    .default("nats://127.0.0.1:4222"),
  /** Kafka bootstrap brokers, `host:port,host:port`; required when EVENTS_TRANSPORT=kafka. */
  KAFKA_BROKERS: z
    .string()
    .transform((value) => value.split(",").map((broker) => broker.trim()))
    .refine((brokers) => brokers.every(isHostPort), "must be a comma-separated list of host:port")
    .optional(),
  /** Partitions of each Kafka topic the transport creates: the most replicas of one subscription that get work. */
  EVENTS_KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1_000).default(3),
  /** Prefix of NATS stream names and subjects, of Kafka topics and consumer groups. */
  EVENTS_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,30}$/i, "must be a short identifier")
    .default("tessera"),
  /** Handler attempts before an event is dead-lettered, and the first retry's delay (doubling). */
  EVENTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  EVENTS_RETRY_BASE_MS: z.coerce.number().int().min(0).max(60_000).default(50),
  /** NATS: how long a delivered, unacknowledged event waits before the server redelivers it (a crashed replica's). */
  EVENTS_ACK_WAIT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(10_000),
  /** How long delivered outbox rows are kept (7 days); a known direct consumer's unacknowledged rows stay longer. */
  EVENTS_OUTBOX_RETENTION_MS: z.coerce.number().int().min(1).default(604_800_000),
  /** How long the event transport may fail (broker down, relay failing) before `/readyz` says not ready. */
  EVENTS_UNHEALTHY_AFTER_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
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
  /** Publishes an event through the outbox, in `tx`: delivered if and only if `tx` commits. */
  publish: EventBus["publish"];
  /** Subscribes a handler to event types; it runs once per event, in the transaction recording it. */
  subscribe: EventBus["subscribe"];
  /** The event bus (metrics, handlers); only when the service has a database. */
  events: EventBus;
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
  await setUpTracing({ service: options.name, otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  const metrics = createMetrics(options.name);
  const rpc = createRpcServer({ log, metrics });
  const stopHooks: (() => Promise<void> | void)[] = [];
  const startHooks: (() => Promise<unknown> | void)[] = [];
  const clients: { close(): void }[] = [];
  const checks = new Map<string, () => Promise<boolean>>();
  let served = false;
  let stopping = false;
  let ops: HttpServer | undefined;
  let removeSignalHandlers: (() => void) | undefined;

  let db: Db | undefined;
  let bus: EventBus | undefined;
  let migrations: Migration[] = [];
  if (options.migrations !== undefined) {
    const url = (config as { DATABASE_URL?: unknown }).DATABASE_URL;
    if (typeof url !== "string")
      throw new Error(`${options.name}: a service with migrations needs DATABASE_URL in its config`);
    const directory =
      options.migrations instanceof URL ? fileURLToPath(options.migrations) : options.migrations;
    migrations = [...(await readKitMigrations()), ...(await readMigrations(directory))];
    const database = createDb({ connectionString: url, log, applicationName: options.name });
    db = database;
    const transport = (config as { EVENTS_TRANSPORT?: TransportName }).EVENTS_TRANSPORT ?? "direct";
    bus = createEventBus({
      service: options.name,
      db: database,
      connectionString: url,
      log,
      registry: metrics.registry,
      transport,
      natsUrl: (config as { NATS_URL?: string }).NATS_URL,
      kafkaBrokers: (config as { KAFKA_BROKERS?: string[] }).KAFKA_BROKERS,
      kafkaPartitions: (config as { EVENTS_KAFKA_PARTITIONS?: number }).EVENTS_KAFKA_PARTITIONS,
      prefix: (config as { EVENTS_PREFIX?: string }).EVENTS_PREFIX,
      maxAttempts: (config as { EVENTS_MAX_ATTEMPTS?: number }).EVENTS_MAX_ATTEMPTS,
      ackWaitMs: (config as { EVENTS_ACK_WAIT_MS?: number }).EVENTS_ACK_WAIT_MS,
      retentionMs: (config as { EVENTS_OUTBOX_RETENTION_MS?: number }).EVENTS_OUTBOX_RETENTION_MS,
      unhealthyAfterMs: (config as { EVENTS_UNHEALTHY_AFTER_MS?: number }).EVENTS_UNHEALTHY_AFTER_MS,
      retryDelayMs: retryDelay((config as { EVENTS_RETRY_BASE_MS?: number }).EVENTS_RETRY_BASE_MS ?? 50),
      producerClient: (producer) => {
        const key = `${producer.toUpperCase()}_ADDR`;
        const address = (config as Record<string, unknown>)[key];
        if (typeof address !== "string") {
          throw new Error(
            `${options.name} consumes ${producer} events over the direct transport: add ${key} to its config`,
          );
        }
        return service.client(EventsService, address);
      },
    });
    rpc.add(EventsService, bus.handlers());
    served = true;
    checks.set("database", () => database.ping());
    checks.set("migrations", () => migrationsApplied(database, migrations));
    const events = bus;
    checks.set("events", () => Promise.resolve(events.ready()));
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
    get events(): EventBus {
      if (!bus) throw new Error(`${options.name} was created without migrations, so it has no events`);
      return bus;
    },
    publish(tx, schema, data, meta) {
      return service.events.publish(tx, schema, data, meta);
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
      await bus?.start();
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
        server.listen(config.OPS_PORT, config.OPS_HOST, () => resolve());
      });
      const address = server.address();
      const opsPort = typeof address === "object" && address ? address.port : 0;
      removeSignalHandlers = installSignalHandlers(service, log, config.SHUTDOWN_TIMEOUT_MS);
      log.info({ "rpc.port": rpcPort, "ops.port": opsPort }, `${options.name} started`);
      return { rpcPort, opsPort };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      removeSignalHandlers?.();
      log.info("shutting down");
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
      if (ops) {
        const closed = new Promise<void>((resolve) => ops?.close(() => resolve()));
        // close() waits for open connections: a keep-alive or half-sent request must not hold shutdown.
        ops.closeAllConnections();
        await closed;
      }
      await shutdownTracing();
      log.info("stopped");
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
  };
  return service;
}

const retryDelay = (base: number) => (attempt: number) => Math.min(base * 2 ** (attempt - 1), 30_000);

function readConfig<C extends ConfigShape>(options: ServiceOptions<C>): Readonly<z.infer<C>> {
  try {
    const config = loadConfig(options.config, options.env ?? process.env);
    checkEventsTransport(config);
    return config;
  } catch (error) {
    if (options.env === undefined && error instanceof ConfigError) {
      // A misconfigured service stops at once, saying which variable to fix — no stack trace.
      process.stderr.write(`${options.name}: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/** What one variable cannot say alone: the chosen transport's settings are there. */
function checkEventsTransport(config: object): void {
  const { EVENTS_TRANSPORT, KAFKA_BROKERS } = config as {
    EVENTS_TRANSPORT?: string;
    KAFKA_BROKERS?: unknown;
  };
  if (EVENTS_TRANSPORT === "kafka" && KAFKA_BROKERS === undefined) {
    throw new ConfigError([
      { variable: "KAFKA_BROKERS", message: "is required when EVENTS_TRANSPORT=kafka" },
    ]);
  }
}

/** `host:port`: a name, an IPv4 address or a bracketed IPv6 address, and a port from 1. */
function isHostPort(value: string): boolean {
  const port = /^(?:[\w.-]+|\[[\d:a-fA-F]+\]):(\d{1,5})$/.exec(value)?.[1];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}

async function migrateWhenReachable(db: Db, migrations: Migration[], log: Logger): Promise<void> {
  // The database may start after us (compose, Kubernetes): wait for it, a bounded time.
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

/** Installs SIGTERM/SIGINT handlers that stop the service; returns their removal. */
function installSignalHandlers(service: Service<unknown>, log: Logger, timeoutMs: number): () => void {
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
  const onTerm = () => shutdown("SIGTERM");
  const onInt = () => shutdown("SIGINT");
  process.once("SIGTERM", onTerm);
  process.once("SIGINT", onInt);
  return () => {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  };
}
