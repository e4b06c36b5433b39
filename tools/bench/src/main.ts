// `npm run bench`: the gateway hop against its ceiling, memory per service, events per transport, and
// checkout end to end (confirmed orders/s, submit → confirmed latency), embedded and on PostgreSQL + NATS, and
// embedded once more with the card processor simulator at 300 ms (BENCH_PROCESSOR_LATENCY_MS; 0 skips it).
import { findFreePort } from "@tessera/dev-runner/ports";
import { findFreeSystemPorts } from "@tessera/dev-runner/system-ports";
import { startEmbeddedPostgres } from "@tessera/dev-runner/embedded-postgres";
import { startSystem } from "@tessera/dev-runner";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { benchCheckout, unthrottled, type CheckoutBenchResult } from "./checkout-bench.ts";
import { benchEvents, type EventsBenchResult } from "./events-bench.ts";
import { load, rssMb, type LoadResult } from "./load.ts";

const seconds = Number(process.env["BENCH_SECONDS"] ?? 10);
const checkoutUsers = Number(process.env["BENCH_CHECKOUT_USERS"] ?? 16);
const checkoutSeconds = Number(process.env["BENCH_CHECKOUT_SECONDS"] ?? 30);
/** Checkout runs once more, embedded, with the card processor this slow (a real one answers in 200–500 ms). */
const slowProcessorMs = Number(process.env["BENCH_PROCESSOR_LATENCY_MS"] ?? 300);
const natsUrl = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const progress = (line: string) => process.stdout.write(`${line}\n`);
const targets = { gatewayRatio: 0.1, rssMb: 150 };

const work = await mkdtemp(join(tmpdir(), "tessera-bench-"));
progress("starting PostgreSQL (embedded) for the benchmark…");
const postgres = await startEmbeddedPostgres({
  dataDir: join(work, "postgres"),
  port: await findFreePort(),
  adminPassword: "bench",
  onProgress: progress,
});
const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
let failed = false;
try {
  progress("starting the system (gateway → catalog → PostgreSQL)…");
  const system = await startSystem({
    dataDir: join(work, "runner"),
    pgUrl: postgres.adminUrl,
    ...(await findFreeSystemPorts()),
    output: sink,
    env: { ...process.env, ...unthrottled },
    logLevel: "warn",
  });
  let gateway: LoadResult;
  let ceiling: LoadResult;
  const memory: [string, number | undefined][] = [];
  try {
    const list = (await (await fetch(`${system.gatewayUrl}api/v1/products?page_size=1`)).json()) as {
      products: { id: string }[];
    };
    const id = list.products[0]?.id;
    if (!id) throw new Error("the catalog returned no product");
    progress(`gateway GET /api/v1/products/:id — ${seconds} s at 50 connections`);
    gateway = await load(`${system.gatewayUrl}api/v1/products/${id}`, { seconds, progress });
    for (const [name, status] of system.statuses) {
      memory.push([name, status.pid ? await rssMb(status.pid) : undefined]);
    }
  } finally {
    await system.stop();
  }

  progress(`ceiling: bare fastify hello-world — ${seconds} s at 50 connections`);
  const hello = spawn(
    process.execPath,
    ["--max-semi-space-size=8", fileURLToPath(new URL("./hello-server.ts", import.meta.url))],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    const [line] = (await once(hello.stdout, "data")) as [Buffer];
    const port = /ready (\d+)/.exec(line.toString())?.[1];
    ceiling = await load(`http://127.0.0.1:${port}/`, { seconds, progress });
    memory.push(["hello-world", hello.pid ? await rssMb(hello.pid) : undefined]);
  } finally {
    hello.kill("SIGTERM");
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
  const checkoutRuns = [
    { mode: "embedded", processorLatencyMs: 0 },
    ...(slowProcessorMs > 0 ? [{ mode: "embedded", processorLatencyMs: slowProcessorMs } as const] : []),
    { mode: "postgres+nats", processorLatencyMs: 0 },
  ] as const;
  for (const { mode, processorLatencyMs } of checkoutRuns) {
    if (mode === "postgres+nats" && !(await reachable(natsUrl))) {
      progress(`checkout on PostgreSQL + NATS skipped: nothing listens at ${natsUrl} (set NATS_URL)`);
      continue;
    }
    try {
      checkouts.push(
        await benchCheckout(mode, {
          adminUrl: postgres.adminUrl,
          workDir: work,
          natsUrl,
          users: checkoutUsers,
          seconds: checkoutSeconds,
          processorLatencyMs,
          progress,
        }),
      );
    } catch (error) {
      failed = true;
      process.stderr.write(
        `checkout ${mode} (processor ${processorLatencyMs} ms) failed: ${(error as Error).stack ?? String(error)}\n`,
      );
    }
  }

  const ratio = gateway.requestsPerSecond / ceiling.requestsPerSecond;
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  progress("\nHTTP, 50 connections, " + seconds + " s each");
  progress("| target | req/s | p50 ms | p99 ms | non-2xx/errors |");
  progress("| --- | ---: | ---: | ---: | ---: |");
  for (const [name, r] of [
    ["gateway → catalog → PostgreSQL", gateway],
    ["bare fastify (ceiling)", ceiling],
  ] as const) {
    progress(`| ${name} | ${fmt(r.requestsPerSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.failures} |`);
  }
  const ratioOk = ratio >= targets.gatewayRatio;
  progress(
    `gateway / ceiling = ${fmt(ratio * 100, 1)} % (target ≥ ${targets.gatewayRatio * 100} %) ${ratioOk ? "ok" : "MISSED"}`,
  );
  progress("\nRSS after the run");
  for (const [name, mb] of memory) {
    const ok = mb !== undefined && mb <= targets.rssMb;
    progress(
      `  ${name.padEnd(12)} ${mb === undefined ? "n/a" : `${fmt(mb, 1)} MB`} ${ok ? "ok" : `MISSED (target ≤ ${targets.rssMb} MB)`}`,
    );
    if (!ok && name !== "hello-world") failed = true;
  }
  if (!ratioOk || gateway.failures > 0) failed = true;
  progress("\nEvents, 200-byte payloads (producer commit → consumer effect committed)");
  progress("| transport | events | events/s | latency at | p50 ms | p99 ms |");
  progress("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const e of events) {
    progress(
      `| ${e.transport} | ${fmt(e.events)} | ${fmt(e.eventsPerSecond)} | ${e.latencyRate}/s | ${fmt(e.p50Ms, 1)} | ${fmt(e.p99Ms, 1)} |`,
    );
  }
  progress(
    `\nCheckout through the gateway, ${checkoutUsers} users, ${checkoutSeconds} s each (submit → confirmed, polled every 25 ms)`,
  );
  progress("| mode | processor latency | orders | confirmed/s | p50 ms | p99 ms | not confirmed |");
  progress("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const c of checkouts) {
    const notConfirmed = c.rejected + c.cancelled + c.timedOut + c.errors;
    progress(
      `| ${c.mode} | ${c.processorLatencyMs} ms | ${fmt(c.orders)} | ${fmt(c.confirmedPerSecond, 1)} | ${fmt(c.p50Ms)} | ${fmt(c.p99Ms)} | ${fmt(notConfirmed)} |`,
    );
  }
  for (const c of checkouts) {
    const run = `${c.mode}, processor ${c.processorLatencyMs} ms`;
    progress(`${run}: ${c.consistent ? "" : "INCONSISTENT "}${c.consistency}`);
    if (c.rejected + c.cancelled + c.timedOut + c.errors + c.cartErrors > 0) {
      progress(
        `${run}: NOT CONFIRMED ${c.rejected} rejected, ${c.cancelled} cancelled, ${c.timedOut} timed out, ${c.errors} failed requests; ${c.cartErrors} add-to-cart failures; e.g. ${c.samples.join(" | ")}`,
      );
      failed = true;
    }
    if (!c.consistent) failed = true;
  }
} catch (error) {
  failed = true;
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  await postgres.stop();
  await rm(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 4222) });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
