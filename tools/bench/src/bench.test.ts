import { createDb } from "@tessera/kit";
import { waitFor } from "@tessera/kit/testing";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scheduleArrivals } from "./arrivals.ts";
import { startBenchPostgres, type BenchPostgres } from "./bench-postgres.ts";
import { idleRate, netOfIdle, openDbStats, perOrder, type DbSnapshot } from "./db-stats.ts";
import { startMoleculerReference } from "./references.ts";
import { reachable } from "./reachable.ts";

describe("scheduleArrivals", () => {
  it("starts rate × seconds arrivals in order however long each takes", async () => {
    const seen: number[] = [];
    const scheduled: number[] = [];
    const { count } = await scheduleArrivals({ rate: 200, seconds: 0.25 }, (n, at) => {
      seen.push(n);
      scheduled.push(at);
      // Never settles: an open loop does not wait for its arrivals.
      void new Promise(() => {});
    });
    expect(count).toBe(50);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(scheduled).toEqual(scheduled.toSorted((a, b) => a - b));
    expect(scheduled.at(-1)! - scheduled[0]!).toBeCloseTo((49 * 1_000) / 200, 6);
  });

  it("stops scheduling when its signal aborts", async () => {
    const stop = new AbortController();
    const { count } = await scheduleArrivals({ rate: 100, seconds: 60, signal: stop.signal }, (n) => {
      if (n === 9) stop.abort();
    });
    expect(count).toBe(10);
  });
});

describe("netOfIdle", () => {
  const snapshot = (at: number, xid: bigint, statements: number, commits: number): DbSnapshot => ({
    at,
    nextXid: xid,
    commits: new Map([["tessera_orders", commits]]),
    statements: new Map([["tessera_orders", statements]]),
    evicted: 0,
    walFsyncs: commits,
  });

  it("takes the idle system's rate over the run's window off each order's share", () => {
    // Idle: 10 s with 20 write transactions, 100 statements, 30 commits → 2, 10, 3 per second.
    const idle = idleRate(snapshot(0, 100n, 0, 0), snapshot(10_000, 120n, 100, 30));
    expect(idle).toEqual({ writeTransactions: 2, roundTrips: 10, commits: 3, walFsyncs: 3 });
    // The run: 5 s, 10 orders, 70 write transactions, 400 statements, 215 commits.
    const work = perOrder(snapshot(10_000, 120n, 100, 30), snapshot(15_000, 190n, 500, 245), 10);
    expect(work).toMatchObject({ windowSeconds: 5, writeTransactions: 7, roundTrips: 40, commits: 21.5 });
    expect(netOfIdle(work, idle)).toEqual({
      writeTransactions: 6,
      roundTrips: 35,
      commits: 20,
      walFsyncs: 20,
    });
  });
});

describe("database work per order", () => {
  let work: string;
  let postgres: BenchPostgres;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "tessera-bench-test-"));
    postgres = await startBenchPostgres(join(work, "postgres"), () => {});
  });
  afterAll(async () => {
    await postgres?.server.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("counts the write transactions, round trips and commits of a service database between two reads", async () => {
    expect(postgres.statementsUnavailable).toBeUndefined();
    const admin = createDb({ connectionString: postgres.server.adminUrl, max: 1 });
    await admin.query("CREATE DATABASE tessera_statstest");
    await admin.close();
    const url = new URL(postgres.server.adminUrl);
    url.pathname = "/tessera_statstest";
    const service = createDb({ connectionString: url.href, max: 1 });
    const stats = await openDbStats(postgres.server.adminUrl);
    try {
      await service.query("CREATE TABLE t (n int)");
      await waitFor("the table's commit in pg_stat_database", async () =>
        ((await stats.read()).commits.get("tessera_statstest") ?? 0) > 0 ? true : undefined,
      );
      const before = await stats.read();
      for (let n = 0; n < 5; n++) {
        await service.query("BEGIN");
        await service.query("INSERT INTO t VALUES ($1)", [n]);
        await service.query("COMMIT");
        await service.query("SELECT count(*) FROM t");
      }
      // pg_stat_database reaches the view when the backend flushes: wait for it rather than guess.
      const after = await waitFor("the commits in pg_stat_database", async () => {
        const read = await stats.read();
        return (read.commits.get("tessera_statstest") ?? 0) -
          (before.commits.get("tessera_statstest") ?? 0) >=
          10
          ? read
          : undefined;
      });
      const work = perOrder(before, after, 5);
      expect(work.writeTransactions).toBe(1);
      expect(work.roundTrips).toBe(4);
      // Ours are 10 (5 writes, 5 reads); autovacuum may commit in the same database meanwhile.
      expect(work.commits).toBeGreaterThanOrEqual(2);
      expect(work.perDatabase).toMatchObject([{ database: "tessera_statstest", roundTrips: 4 }]);
      expect(work.walFsyncs).toBeGreaterThanOrEqual(0);
    } finally {
      await stats.close();
      await service.close();
    }
  });
});

describe("the Moleculer reference", () => {
  const natsUrl = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";

  it("answers a product through moleculer-web and NATS", async (context) => {
    if (!(await reachable(natsUrl))) context.skip(`no NATS at ${natsUrl}`);
    const reference = await startMoleculerReference(natsUrl, `tessera-bench-test-${process.pid}`);
    try {
      const response = await fetch(reference.url);
      expect(response.status).toBe(200);
      const product = (await response.json()) as { id: string; sku: string };
      expect(reference.url.endsWith(`/api/products/${product.id}`)).toBe(true);
      expect(product.sku).toBe("BENCH-0001");
    } finally {
      await reference.stop();
    }
  });
});
