import { checkConsistency, type Addresses, type Report } from "@tessera/checker";
import { startSystem, type RunningSystem } from "@tessera/dev-runner";
import { toolCredentials } from "@tessera/dev-runner/credentials";
import { findFreeSystemPorts, systemPorts, type SystemPorts } from "@tessera/dev-runner/system-ports";
import { createDb, type TokenSource } from "@tessera/kit";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { signInBuyers } from "./buyers.ts";
import {
  idleRate,
  netOfIdle,
  openDbStats,
  perOrder,
  type DbFigures,
  type DbSnapshot,
  type DbWork,
} from "./db-stats.ts";
import { cpuPerOrder, readCpu, type CpuSnapshot } from "./cpu.ts";
import { runOpenLoop, type OpenLoopResult } from "./open-loop.ts";
import { restockQuantity, stockedProducts } from "./checkout-stock.ts";
import { deleteStreams } from "./nats-streams.ts";

export type CheckoutMode = "embedded" | "postgres+nats";

export interface CheckoutBenchOptions {
  /** The bench's PostgreSQL server (admin URL): the system's databases go there. */
  adminUrl: string;
  /** A directory of the bench's own; each mode's runner state goes in a subdirectory. */
  workDir: string;
  /** For "postgres+nats". */
  natsUrl: string;
  /** Offered rates, orders/s, tried in order until one does not hold. */
  rates: readonly number[];
  stepSeconds: number;
  /** After each step, how long its orders may take to settle before they count as stuck. */
  drainSeconds: number;
  /** Offered at the first rate before the steps, left out of the tables and the database figures. */
  warmupSeconds: number;
  /** How long the idle system's background work is measured before the steps. */
  idleSeconds: number;
  /** Signed-in buyers the arrivals draw from. */
  buyers: number;
  /** How long cumulative statistics take to reach the shared views (PostgreSQL flushes idle backends' within 10 s). */
  statsSettleMs: number;
  /** The bench's PostgreSQL server's postmaster: its processes' CPU is counted per order. */
  postgresPid?: number;
  /** Latency of the card processor simulator (payments' PAYMENTS_PROCESSOR_LATENCY_MS); a real one's is 200–500 ms. */
  processorLatencyMs: number;
  progress: (line: string) => void;
}

/** The open loop's steps, the database work per confirmed order, and the checker's verdict. */
export interface CheckoutBenchResult extends OpenLoopResult {
  mode: CheckoutMode;
  processorLatencyMs: number;
  /** A step holds while p99 submit → confirmed is under this: 250 ms plus the processor's latency. */
  p99LimitMs: number;
  /** The highest offered rate held (p99 under the limit, nothing stuck, no errors) with the checker clean. */
  heldRate: number | undefined;
  db: DbWork;
  /** The idle system's background work per second, read before the steps. */
  idle: DbFigures;
  /** `db` less that background over the run's window, per order. */
  net: DbFigures;
  /** CPU ms per confirmed order over the steps: the total, then each service and PostgreSQL, largest first. */
  cpu: [string, number][];
  /** The checker's one-line verdict. */
  consistency: string;
  consistent: boolean;
}

/** The orders service's default step timeout; the checker allows for it. */
const stepTimeoutMs = 30_000;
/** The issue's bound on submit → confirmed, beyond any processor latency. */
export const p99TargetMs = 250;

/**
 * Checkout under an open loop, end to end through the gateway: a fresh system on the bench's
 * PostgreSQL (direct events, or NATS JetStream for "postgres+nats"), `buyers` signed in, then each
 * rate offered in turn (open-loop.ts). The server's counters are read before and after the steps,
 * each time once statistics have settled, for the database work per confirmed order. Then the
 * consistency checker runs (retried for up to 30 s while the saga's tail settles).
 * Load only targets 127.0.0.1.
 */
export async function benchCheckout(
  mode: CheckoutMode,
  options: CheckoutBenchOptions,
): Promise<CheckoutBenchResult> {
  const { adminUrl, workDir, natsUrl, processorLatencyMs, progress } = options;
  const runId = randomBytes(3).toString("hex");
  const prefix = `benchco${runId}`;
  const label = `checkout ${mode}, processor ${processorLatencyMs} ms`;
  const p99LimitMs = p99TargetMs + processorLatencyMs;
  // Every system on this server uses databases tessera_<service>: start from empty ones.
  await dropSystemDatabases(adminUrl);
  let system: RunningSystem | undefined;
  const stats = await openDbStats(adminUrl);
  try {
    const started = await startBenchSystem(mode, {
      adminUrl,
      dataDir: join(workDir, `checkout-${mode.replace(/\W/g, "-")}-${processorLatencyMs}`),
      env: benchEnv(mode, { natsUrl, prefix, processorLatencyMs }),
      progress: (line) => progress(`${label}: ${line}`),
    });
    system = started.system;
    const base = system.gatewayUrl;
    if (!/^http:\/\/127\.0\.0\.1:\d+\/$/.test(base))
      throw new Error(`load only targets this machine: ${base}`);
    const addresses: Addresses = {
      orders: started.ports.grpcAddress("orders"),
      inventory: started.ports.grpcAddress("inventory"),
      payments: started.ports.grpcAddress("payments"),
    };

    // The bench's own client (roles service and admin) restocks and runs the checker.
    const credentials = await toolCredentials(base, started.dataDir, "tessera-bench");
    const products = await stockedProducts(base, addresses.inventory, runId, credentials);
    progress(`${label}: ${products.length} products restocked (+${restockQuantity} each)`);
    const names = Array.from({ length: options.buyers }, (_, n) => `bench-${runId}-${n}`);
    progress(`${label}: signing ${names.length} buyers in through identity…`);
    const signingIn = Date.now();
    const tokens = await signInBuyers(base, names, progress);
    progress(`${label}: signed in in ${((Date.now() - signingIn) / 1_000).toFixed(1)} s`);
    // Read by the open loop's hook, after the warm-up.
    const counters: { before?: DbSnapshot; idle?: DbFigures; cpu?: CpuSnapshot } = {};
    const pids = Object.fromEntries(
      [...system.statuses].flatMap(([name, status]) => (status.pid ? [[name, status.pid]] : [])),
    );
    const beforeSteps = async () => {
      progress(`${label}: statistics settling (${options.statsSettleMs / 1_000} s) before the first step…`);
      await sleep(options.statsSettleMs);
      const idleFrom = await stats.read();
      progress(`${label}: the idle system's background work, ${options.idleSeconds} s…`);
      await sleep(options.idleSeconds * 1_000);
      counters.before = await stats.read();
      counters.idle = idleRate(idleFrom, counters.before);
      counters.cpu = await readCpu(pids, options.postgresPid);
    };
    const load = await runOpenLoop({ ...options, base, label, products, tokens, p99LimitMs, beforeSteps });
    const { before, idle } = counters;
    if (!before || !idle || !counters.cpu) throw new Error("the open loop never reached its first step");
    const cpu = cpuPerOrder(counters.cpu, await readCpu(pids, options.postgresPid), load.confirmed);
    progress(`${label}: statistics settling (${options.statsSettleMs / 1_000} s) after the last step…`);
    await sleep(options.statsSettleMs);
    const db = perOrder(before, await stats.read(), load.confirmed);
    const net = netOfIdle(db, idle);
    progress(`${label}: checking consistency (up to 30 s for the saga's tail to settle)…`);
    const { consistency, consistent } = verdict(await settledConsistency(addresses, credentials));
    progress(`${label}: ${consistency}`);
    const held = load.steps.filter((step) => step.held).map((step) => step.offeredPerSecond);
    const heldRate = consistent && held.length > 0 ? Math.max(...held) : undefined;
    return {
      mode,
      processorLatencyMs,
      p99LimitMs,
      heldRate,
      ...load,
      db,
      idle,
      net,
      cpu,
      consistency,
      consistent,
    };
  } finally {
    await system?.stop();
    await stats.close();
    await dropSystemDatabases(adminUrl);
    if (mode === "postgres+nats") await deleteStreams(natsUrl, prefix);
  }
}

/** The services' environment: the bench's own, minus anything that points a service at other databases. */
/** One load client sends thousands of requests a minute from one address: the gateway's limits step aside. */
export const unthrottled = { RATE_LIMIT_IP_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_MINUTE: "1000000" };

function benchEnv(
  mode: CheckoutMode,
  { natsUrl, prefix, processorLatencyMs }: { natsUrl: string; prefix: string; processorLatencyMs: number },
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  // The bench owns the databases: nothing inherited may point a service elsewhere.
  for (const name of Object.keys(env)) if (/^DATABASE_URL_/.test(name)) delete env[name];
  return Object.assign(
    env,
    mode === "embedded"
      ? { EVENTS_TRANSPORT: "direct" }
      : { EVENTS_TRANSPORT: "nats", NATS_URL: natsUrl, EVENTS_PREFIX: prefix },
    { PAYMENTS_PROCESSOR_LATENCY_MS: String(processorLatencyMs), ...unthrottled },
  );
}

/**
 * The system under test on the bench's server and on free ports, within 120 s; a failure carries
 * the runner's last 30 lines.
 */
async function startBenchSystem(
  mode: CheckoutMode,
  {
    adminUrl,
    dataDir,
    env,
    progress,
  }: {
    adminUrl: string;
    dataDir: string;
    env: Record<string, string | undefined>;
    progress: (line: string) => void;
  },
): Promise<{ system: RunningSystem; dataDir: string; ports: SystemPorts }> {
  const { gatewayPort, portOffset } = await findFreeSystemPorts();
  const recent: string[] = [];
  const output = {
    write: (text: string) => {
      recent.push(...text.split("\n").filter(Boolean));
      recent.splice(0, Math.max(0, recent.length - 30));
    },
  };
  progress(`starting the system (port offset ${portOffset}, gateway :${gatewayPort})…`);
  // Only startup is bounded: the signal stays with the system, and aborting it later would stop it mid-run.
  const startup = new AbortController();
  const deadline = setTimeout(() => startup.abort(new Error(`${mode}: startup took over 120 s`)), 120_000);
  try {
    const system = await startSystem({
      dataDir,
      pgUrl: adminUrl,
      portOffset,
      gatewayPort,
      output,
      env,
      logLevel: "warn",
      signal: startup.signal,
    });
    return { system, dataDir, ports: systemPorts({ offset: portOffset, gatewayPort }) };
  } catch (error) {
    throw new Error(`the system did not start:\n  ${recent.join("\n  ")}`, { cause: error });
  } finally {
    clearTimeout(deadline);
  }
}

/** The checker's report in one line. */
function verdict(report: Report): { consistency: string; consistent: boolean } {
  const consistent = report.violations.length === 0;
  const consistency = consistent
    ? `${report.text.split("\n").at(-1)} — ${report.text.split("\n")[0]}`
    : `${report.violations.length} violation(s): ${report.violations.map((v) => `[${v.invariant}] ${v.detail}`).join("; ")}`;
  return { consistency, consistent };
}

/** The checker's report once consistent, or the last one after 30 s. */
async function settledConsistency(addresses: Addresses, credentials: TokenSource): Promise<Report> {
  const giveUpAt = Date.now() + 30_000;
  let last: Report | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await checkConsistency(addresses, { stepTimeoutMs, credentials });
      if (last.violations.length === 0) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= giveUpAt) {
      if (last) return last;
      throw new Error("the consistency checker could not read the system", { cause: lastError });
    }
    await sleep(500);
  }
}

/** Drops the runner's tessera_* databases on the bench's own (temporary) server. */
async function dropSystemDatabases(adminUrl: string): Promise<void> {
  const db = createDb({ connectionString: adminUrl, max: 1, applicationName: "tessera-bench" });
  try {
    const { rows } = await db.query<{ name: string }>(
      "SELECT datname AS name FROM pg_database WHERE datname LIKE 'tessera\\_%'",
    );
    for (const { name } of rows) await db.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await db.close();
  }
}
