import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "./db.ts";
import { ServiceError } from "./errors.ts";
import { createTestDatabase, freePort, startTcpProxy, waitFor, type TestDatabase } from "./testing.ts";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase("kit_db");
  db = createDb({ connectionString: database.url, max: 4, applicationName: "kit-db-test" });
  await db.query("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, amount_minor bigint)");
});

afterAll(async () => {
  await db?.close();
  await database?.drop();
});

const names = async () =>
  (await db.query<{ name: string }>("SELECT name FROM items ORDER BY id")).rows.map((r) => r.name);

describe("createDb", () => {
  it("runs parameterized queries", async () => {
    const { rows } = await db.query<{ sum: number }>("SELECT $1::int + $2::int AS sum", [2, 3]);
    expect(rows).toEqual([{ sum: 5 }]);
  });

  it("reads bigint columns as bigint, without losing precision", async () => {
    const { rows } = await db.query<{ big: bigint }>("SELECT 9007199254740993::int8 AS big");
    expect(rows[0]?.big).toBe(9_007_199_254_740_993n);
  });

  it("commits a transaction that resolves, returning its result", async () => {
    const result = await db.tx(async (tx) => {
      await tx.query("INSERT INTO items (id, name) VALUES (1, 'committed')");
      await tx.query("INSERT INTO items (id, name) VALUES (2, 'also committed')");
      return "done";
    });
    expect(result).toBe("done");
    expect(await names()).toEqual(["committed", "also committed"]);
  });

  it("rolls back every statement of a transaction that throws, and rethrows the error", async () => {
    const failure = new Error("payment declined");
    await expect(
      db.tx(async (tx) => {
        await tx.query("INSERT INTO items (id, name) VALUES (10, 'rolled back')");
        await tx.query("UPDATE items SET name = 'changed' WHERE id = 1");
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await names()).toEqual(["committed", "also committed"]);
  });

  it("rolls back when a statement fails", async () => {
    await expect(
      db.tx(async (tx) => {
        await tx.query("INSERT INTO items (id, name) VALUES (11, 'first')");
        await tx.query("INSERT INTO items (id, name) VALUES (11, 'duplicate key')");
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect(await names()).not.toContain("first");
  });

  it("keeps a transaction's writes invisible to others until it commits", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const wasInserted = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = db.tx(async (tx) => {
      await tx.query("INSERT INTO items (id, name) VALUES (20, 'pending')");
      inserted();
      await held;
    });
    await wasInserted;
    expect(await names()).not.toContain("pending");
    release();
    await transaction;
    expect(await names()).toContain("pending");
  });

  it("returns connections to the pool after commits and rollbacks", async () => {
    const single = createDb({ connectionString: database.url, max: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        await single.tx((tx) => tx.query("SELECT 1"));
        await expect(single.tx(() => Promise.reject(new Error("no")))).rejects.toThrow("no");
      }
      expect(single.pool.totalCount).toBe(1);
      expect(single.pool.idleCount).toBe(1);
    } finally {
      await single.close();
    }
  });

  it("survives the connection dropping in the middle of a transaction, and replaces it", async () => {
    const single = createDb({ connectionString: database.url, max: 1 });
    try {
      const failure = await single
        .tx(async (tx) => {
          await tx.query("INSERT INTO items (id, name) VALUES (30, 'lost with the connection')");
          const { rows } = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
          const pid = rows[0]?.pid;
          // The server ends the connection while the transaction waits on something else.
          await db.query("SELECT pg_terminate_backend($1)", [pid]);
          await expect
            .poll(
              async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).rowCount,
            )
            .toBe(0);
          await new Promise((resolve) => setTimeout(resolve, 20));
          await tx.query("SELECT 1");
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect(await names()).not.toContain("lost with the connection");
      expect((await single.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
      expect(await single.tx((tx) => tx.query("SELECT 2 AS ok").then((r) => r.rows))).toEqual([{ ok: 2 }]);
    } finally {
      await single.close();
    }
  });

  it("names its connections with the application name", async () => {
    const { rows } = await db.query<{ name: string }>(
      "SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()",
    );
    expect(rows[0]?.name).toBe("kit-db-test");
  });

  it("pings true while the database answers", async () => {
    expect(await db.ping()).toBe(true);
  });

  it("pings false when the database does not answer in time", async () => {
    const single = createDb({ connectionString: database.url, max: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const busy = single.tx(() => held);
    try {
      const started = Date.now();
      expect(await single.ping(100)).toBe(false);
      // Without its own timeout it would wait for the held connection, which is never released.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      release();
      await busy;
      await single.close();
    }
  });

  it("pings false when the server is unreachable", async () => {
    const unreachable = createDb({ connectionString: "postgres://postgres@127.0.0.1:1/none" });
    try {
      expect(await unreachable.ping(2_000)).toBe(false);
    } finally {
      await unreachable.close();
    }
  });

  it("closes the pool", async () => {
    const other = createDb({ connectionString: database.url });
    await other.query("SELECT 1");
    await other.close();
    expect(other.pool.ended).toBe(true);
    await expect(other.query("SELECT 1")).rejects.toThrow();
    expect(await other.ping()).toBe(false);
  });
});

describe("a database that goes away", () => {
  /** What a caller of an RPC handler that hit this failure would be told. */
  const failureCode = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(Error);
    return ServiceError.from(error).code;
  };

  it("reports a refused connection as unavailable", async () => {
    const nobody = await freePort();
    const down = createDb({ connectionString: `postgres://postgres@127.0.0.1:${nobody}/none` });
    try {
      expect(await failureCode(down.query("SELECT 1"))).toBe("unavailable");
      expect(await failureCode(down.tx((tx) => tx.query("SELECT 1")))).toBe("unavailable");
    } finally {
      await down.close();
    }
  });

  it("reports a connection the server terminated as unavailable", async () => {
    const single = createDb({ connectionString: database.url, max: 1, applicationName: "kit-db-terminated" });
    try {
      // Settled from the start: it fails while the terminating query is still being answered.
      const sleeping = failureCode(single.query("SELECT pg_sleep(30)"));
      await waitFor("the query to run", async () => {
        const { rowCount } = await db.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kit-db-terminated' AND state = 'active'",
        );
        return rowCount === 1;
      });
      expect(await sleeping).toBe("unavailable");
    } finally {
      await single.close();
    }
  });

  it("reports a server that accepts but never answers as unavailable once the connect timeout passes", async () => {
    const silent = createServer(() => undefined);
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const { port } = silent.address() as AddressInfo;
    const stuck = createDb({ connectionString: `postgres://postgres@127.0.0.1:${port}/none` });
    try {
      expect(await failureCode(stuck.query("SELECT 1"))).toBe("unavailable");
    } finally {
      await stuck.close();
      silent.close();
    }
  });

  it("keeps the same pool working through the server going away and coming back", async () => {
    const proxy = await startTcpProxy(new URL(database.url));
    const flaky = createDb({ connectionString: proxy.via(database.url), max: 3 });
    try {
      await Promise.all([1, 2, 3].map(() => flaky.query("SELECT pg_sleep(0.05)")));
      expect(flaky.pool.idleCount).toBe(3);
      // Checked out by code that added no listener of its own: its connection dropping must not
      // crash the process with an unhandled 'error' event.
      const held = await flaky.pool.connect();
      const dropped = new Promise((resolve) => held.once("end", resolve));

      await proxy.cut();
      await dropped;
      expect(await failureCode(flaky.query("SELECT 1"))).toBe("unavailable");
      expect(await failureCode(flaky.tx((tx) => tx.query("SELECT 1")))).toBe("unavailable");
      held.release(true);

      await proxy.restore();
      await waitFor("the pool to reconnect", async () => (await flaky.query("SELECT 1")).rowCount === 1);
      expect(await flaky.tx(async (tx) => (await tx.query<{ ok: number }>("SELECT 1 AS ok")).rows)).toEqual([
        { ok: 1 },
      ]);
    } finally {
      await flaky.close();
      await proxy.close();
    }
  });
});
