import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readRunnerConfig, type Environment } from "./config.ts";
import { colorsOn, createConsoleOutput, type ConsoleOutput, type Output } from "./console-output.ts";
import { setUpDatabases, type DatabaseSetup } from "./database-setup.ts";
import type { EmbeddedPostgres } from "./embedded-postgres.ts";
import { identityEnvironments } from "./identity-setup.ts";
import { allReady, notReady } from "./all-ready.ts";
import { checkEntryPoints, checkPortsFree } from "./preflight.ts";
import { supervisePostgres, type PostgresSupervisor } from "./postgres-supervisor.ts";
import { killTrackedNow } from "./processes.ts";
import { acquireRunLock, type RunLock } from "./run-lock.ts";
import { childEnvironment, planServices, type PlannedService } from "./service-plan.ts";
import type { ServiceStatus } from "./service-status.ts";
import {
  entryPoint,
  SERVICE_ENVIRONMENT,
  SERVICE_NODE_FLAGS,
  SERVICES,
  type ServiceDefinition,
} from "./services.ts";
import { superviseService, type Supervisor } from "./supervisor.ts";
import { systemPorts } from "./system-ports.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface SystemOptions {
  /** Runner state (cluster in `postgres/`, its log, credentials, lock); `<repo>/.data` by default. */
  dataDir?: string;
  /** Added to every gRPC, ops and PostgreSQL port. */
  portOffset?: number;
  /** The gateway's public HTTP port (never offset). */
  gatewayPort?: number;
  /** Where the runner writes; stdout by default. A terminal gets the live status table. */
  output?: Output;
  /** The embedded PostgreSQL's port before the offset. */
  pgPort?: number;
  /** An external PostgreSQL admin URL: the databases go there and no server is started. */
  pgUrl?: string;
  logLevel?: string;
  /** What the services inherit and the defaults above come from; `process.env` by default. */
  env?: Environment;
  /** The services to run; the table in services.ts by default. */
  services?: readonly ServiceDefinition[];
  /** Aborting stops the system: during startup (which then rejects) or at any time after. */
  signal?: AbortSignal;
  repoRoot?: string;
  /** Redraw a status table in place; on when `output` is a terminal. */
  live?: boolean;
  /** On when the table is live and the terminal has colours for `env` (console-output.ts `colorsOn`). */
  color?: boolean;
}

export interface RunningSystem {
  /** The storefront: http://127.0.0.1:<gateway port>/. */
  gatewayUrl: string;
  /** A snapshot of every service's status, by name. */
  readonly statuses: ReadonlyMap<string, ServiceStatus>;
  /** Stops every service (SIGTERM, SIGKILL after 10 s), then PostgreSQL. Idempotent. */
  stop(): Promise<void>;
  /** Kills everything at once (a second Ctrl-C). */
  kill(): void;
}

/**
 * Starts Tessera the way `npm start` does: one PostgreSQL (embedded, or `pgUrl`), a database and
 * role per service, then every service as its own supervised process. Resolves once every service
 * is ready; on failure or abort it stops whatever it started before rejecting.
 *
 * @example
 *   const system = await startSystem({ dataDir, portOffset: 1000, gatewayPort: 18080, output });
 *   await fetch(system.gatewayUrl);
 *   await system.stop();
 */
export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const settings = resolveSettings(options);
  const output = options.output ?? process.stdout;
  const live = options.live ?? output.isTTY === true;
  const ui = createConsoleOutput({
    output,
    live,
    color: options.color ?? (live && colorsOn(output, settings.env)),
    sources: ["postgres", ...settings.plan.map((service) => service.name)],
    title: `Tessera  ${settings.gatewayUrl}  (Ctrl-C stops everything)`,
  });
  const run = createRun(ui);
  const { signal } = options;
  try {
    signal?.throwIfAborted();
    const generatedEnv = await prepare(settings, run, ui);
    signal?.throwIfAborted();
    superviseAll(settings, run, ui, generatedEnv);
    await allReady(run, signal);
    ui.progress(`Tessera is ready: ${settings.gatewayUrl}`);
  } catch (error) {
    const waiting = notReady(run.supervisors);
    await run.stop();
    if (signal?.aborted)
      throw new Error(`stopped before every service was ready${waiting}`, { cause: error });
    throw error;
  }
  if (signal?.aborted) void run.stop();
  signal?.addEventListener("abort", () => void run.stop(), { once: true });
  return {
    gatewayUrl: settings.gatewayUrl,
    get statuses() {
      return new Map(run.statuses);
    },
    stop: run.stop,
    kill: run.kill,
  };
}

interface Settings {
  env: Environment;
  repoRoot: string;
  dataDir: string;
  pgPort: number;
  pgUrl: string | undefined;
  plan: PlannedService[];
  gatewayUrl: string;
}

function resolveSettings(options: SystemOptions): Settings {
  const env = options.env ?? process.env;
  const config = readRunnerConfig(env);
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const portOffset = options.portOffset ?? config.portOffset;
  const gatewayPort = options.gatewayPort ?? config.gatewayPort;
  const ports = systemPorts({ offset: portOffset, gatewayPort, pgPort: options.pgPort ?? config.pgPort });
  return {
    env,
    repoRoot,
    dataDir: resolve(repoRoot, options.dataDir ?? config.dataDir ?? ".data"),
    pgPort: ports.postgres(),
    pgUrl: options.pgUrl ?? config.pgUrl,
    plan: planServices(options.services ?? SERVICES, {
      portOffset,
      httpPorts: { GATEWAY_PORT: gatewayPort },
      databaseUrls: config.databaseUrls,
      logLevel: options.logLevel ?? config.logLevel,
      replicas: config.replicas,
    }),
    gatewayUrl: ports.gatewayUrl,
  };
}

/** Everything one run started, and how to take it down again: services first, the database last. */
interface Run {
  supervisors: Supervisor[];
  statuses: Map<string, ServiceStatus>;
  statusListeners: Set<() => void>;
  lock: RunLock | undefined;
  databases: DatabaseSetup | undefined;
  postgres: PostgresSupervisor | undefined;
  stopping: Promise<void> | undefined;
  stop: () => Promise<void>;
  kill: () => void;
}

function createRun(ui: ConsoleOutput): Run {
  const run: Run = {
    supervisors: [],
    statuses: new Map(),
    statusListeners: new Set(),
    lock: undefined,
    databases: undefined,
    postgres: undefined,
    stopping: undefined,
    stop: () =>
      (run.stopping ??= (async () => {
        const started = run.supervisors.length > 0 || run.postgres !== undefined;
        if (run.supervisors.length > 0) ui.progress("stopping services… (Ctrl-C again kills them at once)");
        await Promise.all(run.supervisors.map((supervisor) => supervisor.stop()));
        if (run.postgres) ui.progress("stopping PostgreSQL…");
        await run.postgres?.stop();
        run.databases?.close();
        run.lock?.release();
        if (started) ui.progress("stopped");
        ui.close();
      })()),
    kill: () => {
      const postgresGone = run.postgres?.halt();
      for (const supervisor of run.supervisors) supervisor.kill();
      killTrackedNow();
      run.databases?.close();
      run.lock?.release();
      ui.close();
      // A later stop() just waits for the killed processes to be gone.
      run.stopping ??= (async () => {
        await Promise.all(run.supervisors.map((supervisor) => supervisor.stop()));
        await postgresGone;
      })();
    },
  };
  return run;
}

/**
 * Claims the data directory, checks the ports, makes the databases (starting PostgreSQL) and the
 * secrets services need; returns the variables generated for each service, by name.
 */
async function prepare(
  settings: Settings,
  run: Run,
  ui: ConsoleOutput,
): Promise<Map<string, Record<string, string>>> {
  checkEntryPoints(settings.repoRoot, settings.plan);
  await mkdir(settings.dataDir, { recursive: true });
  const lock = await acquireRunLock(settings.dataDir, ui.progress);
  run.lock = lock;
  // Our own PostgreSQL's port too: otherwise a foreign server there would be mistaken for ours.
  await checkPortsFree(
    settings.plan,
    settings.pgUrl ? [] : [{ port: settings.pgPort, host: "127.0.0.1", label: "embedded PostgreSQL" }],
  );
  run.databases = await setUpDatabases({
    services: settings.plan,
    dataDir: settings.dataDir,
    pgPort: settings.pgPort,
    pgUrl: settings.pgUrl,
    progress: ui.progress,
    onServerLine: (line) => {
      if (!run.stopping) ui.serviceLine("postgres", line);
    },
    onServerStarted: (server, startAgain) => {
      const marker = join(settings.dataDir, "postgres");
      const record = ({ pid }: EmbeddedPostgres) =>
        lock.record({ name: "PostgreSQL", pid, marker, group: false, stopSignal: "SIGINT" });
      record(server);
      run.postgres = supervisePostgres({
        first: server,
        start: startAgain,
        logFile: join(settings.dataDir, "postgres.log"),
        progress: (text) => {
          if (!run.stopping) ui.progress(text);
        },
        onRestarted: (restarted, previous) => {
          lock.forget(previous.pid);
          record(restarted);
        },
      });
    },
  });
  return identityEnvironments(settings, ui.progress);
}

/** Starts every service as its own supervised process. */
function superviseAll(
  settings: Settings,
  run: Run,
  ui: ConsoleOutput,
  generatedEnv: ReadonlyMap<string, Record<string, string>>,
): void {
  ui.progress(`starting ${settings.plan.map((service) => service.name).join(", ")}…`);
  for (const service of settings.plan) {
    const marker = entryPoint(service.service);
    const supervisor = superviseService({
      name: service.name,
      command: process.execPath,
      args: [...SERVICE_NODE_FLAGS, marker],
      cwd: settings.repoRoot,
      env: {
        ...SERVICE_ENVIRONMENT,
        ...childEnvironment(settings.env, service, run.databases?.urls.get(service.service)),
        ...generatedEnv.get(service.service),
      },
      port: service.grpcPort ?? service.httpPort,
      opsPort: service.opsPort,
      onLine: (line) => ui.serviceLine(service.name, line),
      onStatus: (status) => {
        run.statuses.set(status.name, status);
        ui.status([...run.statuses.values()], status);
        for (const listener of run.statusListeners) listener();
      },
      onSpawn: (pid) =>
        run.lock?.record({ name: service.name, pid, marker, group: true, stopSignal: "SIGTERM" }),
      onExit: (pid) => run.lock?.forget(pid),
    });
    run.supervisors.push(supervisor);
    supervisor.start();
  }
}
