import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, type Db } from "@tessera/kit";
import { waitFor } from "@tessera/kit/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.ts";
import { findFreePort } from "./ports.ts";
import { supervisePostgres, type PostgresSupervisor } from "./postgres-supervisor.ts";

describe("supervisePostgres (a real embedded PostgreSQL)", { timeout: 90_000 }, () => {
  let root: string;
  let port: number;
  let supervisor: PostgresSupervisor | undefined;
  let db: Db | undefined;
  const progress: string[] = [];
  const start = async () =>
    startEmbeddedPostgres({
      dataDir: join(root, "postgres"),
      port,
      adminPassword: "admin-secret",
      onProgress: (text) => progress.push(text),
    });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tessera-pg-supervisor-"));
    port = await findFreePort();
    supervisor = supervisePostgres({ first: await start(), start, progress: (text) => progress.push(text) });
    db = createDb({ connectionString: supervisor.server!.adminUrl, max: 2 });
    await db.query("CREATE TABLE kept (note text)");
    await db.query("INSERT INTO kept VALUES ('committed before the crash')");
  });

  afterAll(async () => {
    await db?.close();
    await supervisor?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const restarted = (previous: number) =>
    waitFor(
      "PostgreSQL to be restarted and answer",
      async () => {
        const pid = supervisor?.server?.pid;
        if (pid === undefined || pid === previous) return undefined;
        return (await db!.ping(2_000)) ? pid : undefined;
      },
      60_000,
    );

  it("restarts a killed server on the same port, with the data it had committed", async () => {
    const killed = supervisor!.server!.pid;
    process.kill(killed, "SIGKILL");
    await restarted(killed);
    expect(supervisor!.restarts).toBe(1);
    expect(progress.join("\n")).toMatch(
      /PostgreSQL exited unexpectedly \(killed by SIGKILL\).*restarting in/,
    );
    expect(progress.join("\n")).toContain("PostgreSQL restarted");
    // The same pool, never recreated, reconnects by itself.
    expect((await db!.query("SELECT note FROM kept")).rows).toEqual([{ note: "committed before the crash" }]);
  });

  it("restarts even while a killed server's busy backend still holds its shared memory", async () => {
    const busy = createDb({ connectionString: supervisor!.server!.adminUrl, max: 1 });
    try {
      // A backend deep in a query outlives its postmaster for as long as the query runs; the
      // statement timeout bounds it should the test fail.
      const query = busy
        .query("SET statement_timeout = '60s'; SELECT count(*) FROM generate_series(1, 10000000000)")
        .catch((error: unknown) => error);
      await waitFor(
        "the long query to run",
        async () =>
          (
            await db!.query(
              "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%generate_series%' AND pid <> pg_backend_pid()",
            )
          ).rowCount === 1,
        10_000,
      );
      const killed = supervisor!.server!.pid;
      process.kill(killed, "SIGKILL");
      await restarted(killed);
      expect(progress.join("\n")).toMatch(/stopping \d+ process\(es\) left by a PostgreSQL server that died/);
      expect(await query).toBeInstanceOf(Error);
    } finally {
      await busy.close();
    }
  });
});

/** A stand-in server whose exit the test decides. */
function fakeServer(pid: number) {
  let exit!: (reason: string) => void;
  const exited = new Promise<string>((resolve) => (exit = resolve));
  const server: EmbeddedPostgres = {
    pid,
    port: 1,
    adminUrl: "postgres://unused",
    exited,
    stop: () => {
      exit("exited with code 0");
      return exited.then(() => undefined);
    },
  };
  return { server, crash: () => exit("killed by SIGKILL") };
}

describe("supervisePostgres (stand-in servers)", () => {
  const backoff = { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 };
  let supervisor: PostgresSupervisor | undefined;

  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
  });

  it("backs off, doubling its wait, while the server keeps failing to start", async () => {
    const first = fakeServer(1);
    const progress: string[] = [];
    let attempts = 0;
    supervisor = supervisePostgres({
      first: first.server,
      backoff,
      progress: (text) => progress.push(text),
      start: () => {
        attempts++;
        if (attempts < 4)
          return Promise.reject(new Error("pre-existing shared memory block is still in use"));
        return Promise.resolve(fakeServer(2).server);
      },
    });
    first.crash();
    await waitFor("the fourth start", () => Promise.resolve(supervisor?.server?.pid === 2), 30_000);
    expect(progress.map((line) => /in (\d\.\d) s/.exec(line)?.[1])).toEqual([
      "0.1",
      "0.2",
      "0.4",
      "0.4",
      undefined,
    ]);
    expect(progress[1]).toContain(
      "PostgreSQL did not restart: pre-existing shared memory block is still in use",
    );
  });

  it("does not restart a server it was asked to stop", async () => {
    const first = fakeServer(1);
    let starts = 0;
    supervisor = supervisePostgres({
      first: first.server,
      backoff,
      progress: () => undefined,
      start: () => {
        starts++;
        return Promise.resolve(fakeServer(2).server);
      },
    });
    await supervisor.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(starts).toBe(0);
    expect(supervisor.server).toBe(first.server);
  });

  it("cancels a pending restart when halted", async () => {
    const first = fakeServer(1);
    let starts = 0;
    supervisor = supervisePostgres({
      first: first.server,
      backoff: { ...backoff, initialMs: 200 },
      progress: () => undefined,
      start: () => {
        starts++;
        return Promise.resolve(fakeServer(2).server);
      },
    });
    first.crash();
    await waitFor("the exit to be noticed", () => Promise.resolve(supervisor?.server === undefined), 10_000);
    await supervisor.halt();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(starts).toBe(0);
    expect(supervisor.server).toBeUndefined();
  });
});
