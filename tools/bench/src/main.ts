// `npm run bench`: the gateway hop beside two references (bare fastify, Moleculer over NATS), memory
// per service, events per transport, and checkout as an open loop stepping its arrival rate up —
// embedded, on PostgreSQL + NATS, and embedded with the card processor simulator at 300 ms — with the
// database work per confirmed order. Settings: BENCH_* below; the README's "npm run bench" section.
import { findFreeSystemPorts } from "@tessera/dev-runner/system-ports";
import { startSystem } from "@tessera/dev-runner";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { startBenchPostgres } from "./bench-postgres.ts";
import { benchCheckout, unthrottled, type CheckoutBenchResult, type CheckoutMode } from "./checkout-bench.ts";
import { benchEvents, type EventsBenchResult } from "./events-bench.ts";
import { load, rssMb, type LoadResult } from "./load.ts";
import { startFastifyReference, startMoleculerReference, type Reference } from "./references.ts";
import { reportCheckouts, reportEvents, reportHttp, reportMemory } from "./report.ts";
import { reachable } from "./reachable.ts";

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const seconds = Number(env("BENCH_SECONDS", "10"));
const checkout = {
  rates: env("BENCH_RATES", "10,20,40,60,80,100,150,200,250,300").split(",").map(Number),
  stepSeconds: Number(env("BENCH_STEP_SECONDS", "5")),
  drainSeconds: Number(env("BENCH_DRAIN_SECONDS", "10")),
  warmupSeconds: Number(env("BENCH_WARMUP_SECONDS", "3")),
  buyers: Number(env("BENCH_BUYERS", "200")),
  idleSeconds: Number(env("BENCH_IDLE_SECONDS", "5")),
  statsSettleMs: Number(env("BENCH_STATS_SETTLE_SECONDS", "11")) * 1_000,
};
/** Checkout runs once more, embedded, with the card processor this slow (a real one answers in 200–500 ms). */
const slowProcessorMs = Number(env("BENCH_PROCESSOR_LATENCY_MS", "300"));
const natsUrl = env("NATS_URL", "nats://127.0.0.1:4222");
const progress = (line: string) => process.stdout.write(`${line}\n`);
if (checkout.rates.some((rate) => !(rate > 0)))
  throw new Error(`BENCH_RATES: positive numbers, comma-separated`);

const work = await mkdtemp(join(tmpdir(), "tessera-bench-"));
progress("starting PostgreSQL (embedded) for the benchmark…");
const { server: postgres, statementsUnavailable } = await startBenchPostgres(
  join(work, "postgres"),
  progress,
);
let failed = false;
try {
  const http: [string, LoadResult][] = [];
  const memory: [string, number | undefined][] = [];
  // The hop twice: with the gateway's product cache (as it runs), then without it (every request
  // goes on to catalog over gRPC), each on a fresh system.
  for (const [name, cache] of [
    ["gateway", "true"],
    ["gateway-uncached", "false"],
  ] as const) {
    progress(
      `starting the system (gateway → catalog → PostgreSQL), product cache ${cache === "true" ? "on" : "off"}…`,
    );
    const system = await startSystem({
      dataDir: join(work, `runner-${name}`),
      pgUrl: postgres.adminUrl,
      ...(await findFreeSystemPorts()),
      output: new Writable({ write: (_chunk, _encoding, done) => done() }),
      env: { ...process.env, ...unthrottled, GATEWAY_PRODUCT_CACHE: cache },
      logLevel: "warn",
    });
    try {
      const list = (await (await fetch(`${system.gatewayUrl}api/v1/products?page_size=1`)).json()) as {
        products: { id: string }[];
      };
      const id = list.products[0]?.id;
      if (!id) throw new Error("the catalog returned no product");
      progress(`${name} GET /api/v1/products/:id — ${seconds} s at 50 connections`);
      http.push([name, await load(`${system.gatewayUrl}api/v1/products/${id}`, { seconds, progress })]);
      // Memory after the cached run only: the services are the same processes either way.
      if (cache === "true") {
        for (const [service, status] of system.statuses) {
          memory.push([service, status.pid ? await rssMb(status.pid) : undefined]);
        }
      }
    } finally {
      await system.stop();
    }
  }

  const references: [string, () => Promise<Reference>][] = [["fastify", startFastifyReference]];
  if (await reachable(natsUrl)) {
    const namespace = `tessera-bench-${randomBytes(3).toString("hex")}`;
    references.push(["moleculer", () => startMoleculerReference(natsUrl, namespace)]);
  } else progress(`Moleculer reference skipped: nothing listens at ${natsUrl} (set NATS_URL)`);
  for (const [name, start] of references) {
    progress(`reference ${name} — ${seconds} s at 50 connections`);
    const reference = await start();
    try {
      http.push([name, await load(reference.url, { seconds, progress })]);
      for (const [n, pid] of reference.pids.entries()) memory.push([`${name}-${n + 1}`, await rssMb(pid)]);
    } finally {
      await reference.stop();
    }
  }

  const events: EventsBenchResult[] = [];
  for (const transport of ["direct", "nats"] as const) {
    if (transport === "nats" && !(await reachable(natsUrl))) {
      progress(`events over NATS skipped: nothing listens at ${natsUrl} (set NATS_URL)`);
      continue;
    }
    events.push(await benchEvents(transport, { adminUrl: postgres.adminUrl, natsUrl, seconds, progress }));
  }

  const checkouts: CheckoutBenchResult[] = [];
  const runs: [CheckoutMode, number][] = [
    ["embedded", 0],
    ...(slowProcessorMs > 0 ? [["embedded", slowProcessorMs] as [CheckoutMode, number]] : []),
    ["postgres+nats", 0],
  ];
  for (const [mode, processorLatencyMs] of runs) {
    if (mode === "postgres+nats" && !(await reachable(natsUrl))) {
      progress(`checkout on PostgreSQL + NATS skipped: nothing listens at ${natsUrl} (set NATS_URL)`);
      continue;
    }
    try {
      const options = {
        adminUrl: postgres.adminUrl,
        postgresPid: postgres.pid,
        workDir: work,
        natsUrl,
        processorLatencyMs,
        progress,
      };
      checkouts.push(await benchCheckout(mode, { ...options, ...checkout }));
    } catch (error) {
      failed = true;
      process.stderr.write(
        `checkout ${mode} (processor ${processorLatencyMs} ms) failed: ${(error as Error).stack ?? String(error)}\n`,
      );
    }
  }

  if (!reportHttp(http, seconds, progress)) failed = true;
  if (!reportMemory(memory, progress)) failed = true;
  reportEvents(events, progress);
  if (!reportCheckouts(checkouts, { stepSeconds: checkout.stepSeconds, statementsUnavailable }, progress))
    failed = true;
} catch (error) {
  failed = true;
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  await postgres.stop();
  await rm(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
