// The bench's closing tables, printed as Markdown.
import type { CheckoutBenchResult } from "./checkout-bench.ts";
import type { EventsBenchResult } from "./events-bench.ts";
import type { LoadResult } from "./load.ts";

type Print = (line: string) => void;
const targets = {
  /** Cached hop / bare fastify. */
  gatewayRatio: 0.5,
  /** Uncached hop / bare fastify: twice the issue's 0.037. */
  uncachedRatio: 0.074,
  rssMb: 150,
  writeTransactions: 6,
  roundTrips: 30,
  confirmedPerSecond: 150,
  eventRate: 1_000,
  eventP99Ms: 10,
};
/** The issue's figures before the work, embedded at 16 closed-loop buyers. */
const baseline = { writeTransactions: 12.3, roundTrips: 107, commits: 34, walFsyncs: 8 };
const names: Record<string, string> = {
  gateway: "gateway, product cache on (served from the gateway's memory)",
  "gateway-uncached": "gateway → catalog → PostgreSQL, product cache off",
  fastify: "bare fastify hello-world (ceiling)",
  moleculer: "moleculer-web → NATS → service from memory",
};

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n)
    ? "n/a"
    : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The HTTP table and the gateway's ratios to each reference; false when the gateway misses its target. */
export function reportHttp(results: [string, LoadResult][], seconds: number, print: Print): boolean {
  print(`\nHTTP, 50 connections, ${seconds} s each`);
  print("| target | req/s | p50 ms | p99 ms | non-2xx/errors |");
  print("| --- | ---: | ---: | ---: | ---: |");
  for (const [name, r] of results) {
    print(
      `| ${names[name] ?? name} | ${fmt(r.requestsPerSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.failures} |`,
    );
  }
  const rate = (name: string) => results.find(([n]) => n === name)?.[1];
  let ok = true;
  for (const [hop, target] of [
    ["gateway", targets.gatewayRatio],
    ["gateway-uncached", targets.uncachedRatio],
  ] as const) {
    const gateway = rate(hop);
    if (!gateway) continue;
    if (gateway.failures > 0) ok = false;
    for (const reference of ["fastify", "moleculer"]) {
      const r = rate(reference);
      if (!r) continue;
      const ratio = gateway.requestsPerSecond / r.requestsPerSecond;
      const checked = reference === "fastify";
      if (checked && ratio < target) ok = false;
      const verdict = checked ? ` (target ≥ ${target}) ${ratio >= target ? "ok" : "MISSED"}` : "";
      print(`${hop} / ${reference} = ${fmt(ratio, 3)}${verdict}`);
    }
  }
  return ok;
}

/** RSS per process; false when a service (not a reference) is over its target. */
export function reportMemory(memory: [string, number | undefined][], print: Print): boolean {
  let ok = true;
  print("\nRSS after the run");
  for (const [name, mb] of memory) {
    const reference = /^(fastify|moleculer)/.test(name);
    const within = mb !== undefined && mb <= targets.rssMb;
    const verdict = reference ? "(reference)" : within ? "ok" : `MISSED (target ≤ ${targets.rssMb} MB)`;
    print(`  ${name.padEnd(12)} ${mb === undefined ? "n/a" : `${fmt(mb, 1)} MB`} ${verdict}`);
    if (!within && !reference) ok = false;
  }
  return ok;
}

export function reportEvents(events: EventsBenchResult[], print: Print): void {
  print(
    "\nEvents, 200-byte payloads (producer commit → consumer effect committed), one event per transaction at each offered rate",
  );
  print("| transport | saturated events/s | offered/s | committed/s | p50 ms | p99 ms |");
  print("| --- | ---: | ---: | ---: | ---: | ---: |");
  print(`| target | | ${targets.eventRate} | | | < ${targets.eventP99Ms} |`);
  for (const e of events) {
    for (const l of e.latency) {
      const mark = l.offered >= targets.eventRate ? (l.p99Ms < targets.eventP99Ms ? " ok" : " MISSED") : "";
      print(
        `| ${e.transport} | ${fmt(e.eventsPerSecond)} | ${l.offered} | ${fmt(l.achieved)} | ${fmt(l.p50Ms, 1)} | ${fmt(l.p99Ms, 1)}${mark} |`,
      );
    }
  }
}

/** One table per checkout run, then the database work per order; false when a run fails its checks. */
export function reportCheckouts(
  runs: CheckoutBenchResult[],
  { stepSeconds, statementsUnavailable }: { stepSeconds: number; statementsUnavailable: string | undefined },
  print: Print,
): boolean {
  let ok = true;
  for (const run of runs) {
    const title = `${run.mode}, processor ${run.processorLatencyMs} ms`;
    print(
      `\nCheckout, open loop, ${title}: ${stepSeconds} s per rate (submit → confirmed, followed over the order's event stream)`,
    );
    print(
      "| offered/s | arrivals | confirmed/s | p50 ms | p99 ms | stuck | rejected | errors | client lag ms | held |",
    );
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (const s of run.steps) {
      print(
        `| ${s.offeredPerSecond} | ${s.arrivals} | ${fmt(s.confirmedPerSecond, 1)} | ${fmt(s.p50Ms)} | ${fmt(s.p99Ms)} | ${s.stuck} | ${s.rejected} | ${s.errors} | ${fmt(s.maxLagMs)} | ${s.held ? "yes" : "no"} |`,
      );
    }
    const target =
      run.processorLatencyMs === 0 && run.mode === "embedded"
        ? ` (target ≥ ${targets.confirmedPerSecond}/s)`
        : "";
    print(
      `highest rate held (p99 < ${run.p99LimitMs} ms, nothing stuck, checker clean): ${run.heldRate === undefined ? "none" : `${run.heldRate} orders/s`}${target}`,
    );
    if (run.steps.length > 0 && run.steps.every((s) => s.held))
      print("(every offered rate held: offer higher BENCH_RATES)");
    print(`consistency: ${run.consistent ? "" : "INCONSISTENT "}${run.consistency}`);
    if (run.samples.length > 0) print(`e.g. ${run.samples.join(" | ")}`);
    if (!run.consistent || run.steps.some((s) => s.stuck > 0)) ok = false;
  }
  reportDbWork(runs, statementsUnavailable, print);
  return ok;
}

function reportDbWork(
  runs: CheckoutBenchResult[],
  statementsUnavailable: string | undefined,
  print: Print,
): void {
  print(
    "\nDatabase work per confirmed order, all steps of a run (pg_stat_database, pg_stat_statements, pg_stat_io)",
  );
  print("| run | orders | write transactions | SQL round trips | commits | WAL fsyncs |");
  print("| --- | ---: | ---: | ---: | ---: | ---: |");
  print(
    `| target | | ≤ ${targets.writeTransactions} | ≤ ${targets.roundTrips} | | |\n| baseline (issue 18, 16 closed-loop buyers) | | ${baseline.writeTransactions} | ${baseline.roundTrips} | ${baseline.commits} | ${baseline.walFsyncs} |`,
  );
  const mark = (value: number | undefined, limit: number) =>
    value === undefined ? "n/a" : `${fmt(value, 1)} ${value <= limit ? "ok" : "MISSED"}`;
  for (const { mode, processorLatencyMs, db, net } of runs) {
    const run = `${mode}, processor ${processorLatencyMs} ms`;
    print(
      `| ${run} | ${db.orders} | ${mark(db.writeTransactions, targets.writeTransactions)} | ${mark(db.roundTrips, targets.roundTrips)} | ${fmt(db.commits, 1)} | ${fmt(db.walFsyncs, 1)} |`,
    );
    print(
      `| ${run}, net of idle background | ${db.orders} | ${fmt(net.writeTransactions, 1)} | ${fmt(net.roundTrips, 1)} | ${fmt(net.commits, 1)} | ${fmt(net.walFsyncs, 1)} |`,
    );
  }
  for (const { mode, processorLatencyMs, db, idle } of runs) {
    print(
      `  ${mode}, processor ${processorLatencyMs} ms — ${fmt(db.windowSeconds, 1)} s window; idle background per second: ${fmt(idle.writeTransactions, 1)} write transactions, ${fmt(idle.roundTrips, 1)} round trips, ${fmt(idle.commits, 1)} commits, ${fmt(idle.walFsyncs, 1)} WAL fsyncs`,
    );
  }
  for (const { mode, processorLatencyMs, cpu } of runs) {
    const parts = cpu.map(([name, ms]) => `${name} ${fmt(ms, 1)}`);
    print(`  ${mode}, processor ${processorLatencyMs} ms — CPU ms per order (/proc): ${parts.join(", ")}`);
  }
  for (const { mode, processorLatencyMs, db } of runs) {
    const parts = db.perDatabase.map(
      (d) => `${d.database.replace(/^tessera_/, "")} ${fmt(d.commits, 1)}/${fmt(d.roundTrips, 1)}`,
    );
    print(
      `  ${mode}, processor ${processorLatencyMs} ms — commits/round trips per order by database: ${parts.join(", ")}`,
    );
    if (db.evicted > 0)
      print(`  (pg_stat_statements evicted ${db.evicted} entries: round trips undercounted)`);
  }
  if (statementsUnavailable) print(`SQL round trips not counted: ${statementsUnavailable}`);
  print(
    "Write transactions = transaction ids taken (cluster-wide); round trips = top-level statements, BEGIN/COMMIT included; commits include read-only ones. The window runs from the last read before the first step to the read after the last one, settled; the net rows subtract the idle system's rate over that window (an estimate: background work under load differs).",
  );
}
