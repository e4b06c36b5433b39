import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "./db.ts";
import { createLogger } from "./logger.ts";
import { migrate, migrationsApplied, readKitMigrations, readMigrations } from "./migrations.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let directory: string;
let database: TestDatabase | undefined;
const pools: Db[] = [];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "tessera-migrations-"));
});

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  await database?.drop();
  database = undefined;
  await rm(directory, { recursive: true, force: true });
});

async function files(entries: Record<string, string>): Promise<void> {
  for (const [name, sql] of Object.entries(entries)) await writeFile(join(directory, name), sql);
}

/** A pool on a fresh database (created once per test); call again for another pool on it. */
async function pool(): Promise<Db> {
  database ??= await createTestDatabase("kit_migrations");
  const db = createDb({ connectionString: database.url, max: 2 });
  pools.push(db);
  return db;
}

const recorded = async (db: Db) =>
  (await db.query<{ version: string }>("SELECT version FROM schema_migrations ORDER BY version")).rows.map(
    (row) => row.version,
  );

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const accounts = {
  "001_create_accounts.sql": "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL);",
  // Depends on 001: only works when applied after it.
  "002_add_balance.sql": "ALTER TABLE accounts ADD COLUMN balance_minor bigint NOT NULL DEFAULT 0;",
  "003_seed.sql":
    "INSERT INTO accounts (id, owner) VALUES (1, 'house');\nINSERT INTO accounts (id, owner) VALUES (2, 'bank');",
};

describe("readMigrations", () => {
  it("reads NNN_name.sql files in order with their SQL and checksum", async () => {
    await files({ "002_add_balance.sql": accounts["002_add_balance.sql"], "001_create_accounts.sql": "A;" });
    expect(await readMigrations(directory)).toEqual([
      { version: "001_create_accounts", sql: "A;", checksum: sha256("A;") },
      {
        version: "002_add_balance",
        sql: accounts["002_add_balance.sql"],
        checksum: sha256(accounts["002_add_balance.sql"]),
      },
    ]);
  });

  it("accepts dashes and underscores after the number", async () => {
    await files({ "001-init.sql": "", "002_add-index.sql": "" });
    expect((await readMigrations(directory)).map((m) => m.version)).toEqual(["001-init", "002_add-index"]);
  });

  it("ignores files that are not NNN_name.sql", async () => {
    await files({
      "001_init.sql": "",
      "README.md": "",
      "01_too_short.sql": "",
      "002_notes.txt": "",
      "init.sql": "",
      "003_.sql": "",
      "004_draft.sql.bak": "",
      ".005_hidden.sql": "",
    });
    expect((await readMigrations(directory)).map((m) => m.version)).toEqual(["001_init"]);
  });

  it("orders by number, not by text, when numbers grow a digit", async () => {
    await files({ "1000_later.sql": "", "100_middle.sql": "", "099_first.sql": "" });
    expect((await readMigrations(directory)).map((m) => m.version)).toEqual([
      "099_first",
      "100_middle",
      "1000_later",
    ]);
  });

  it("refuses two migrations with the same number", async () => {
    await files({ "001_init.sql": "", "002_a.sql": "", "002_b.sql": "" });
    await expect(readMigrations(directory)).rejects.toThrow(/two migrations numbered 002/);
  });

  it("refuses the same number written with another width", async () => {
    await files({ "002_a.sql": "", "0002_b.sql": "" });
    await expect(readMigrations(directory)).rejects.toThrow(/two migrations numbered/);
  });

  it("returns nothing for an empty directory and fails for a missing one", async () => {
    expect(await readMigrations(directory)).toEqual([]);
    await expect(readMigrations(join(directory, "missing"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("migrate", () => {
  it("applies every migration once, in order, and records each with its checksum", async () => {
    await files(accounts);
    const db = await pool();
    expect(await migrate(db, await readMigrations(directory))).toEqual([
      "001_create_accounts",
      "002_add_balance",
      "003_seed",
    ]);
    const { rows } = await db.query<{ id: number; owner: string; balance_minor: bigint }>(
      "SELECT id, owner, balance_minor FROM accounts ORDER BY id",
    );
    expect(rows).toEqual([
      { id: 1, owner: "house", balance_minor: 0n },
      { id: 2, owner: "bank", balance_minor: 0n },
    ]);
    const history = await db.query<{ version: string; checksum: string; applied_at: Date }>(
      "SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version",
    );
    expect(history.rows.map(({ version, checksum }) => ({ version, checksum }))).toEqual([
      { version: "001_create_accounts", checksum: sha256(accounts["001_create_accounts.sql"]) },
      { version: "002_add_balance", checksum: sha256(accounts["002_add_balance.sql"]) },
      { version: "003_seed", checksum: sha256(accounts["003_seed.sql"]) },
    ]);
    expect(history.rows[0]?.applied_at).toBeInstanceOf(Date);
  });

  it("applies nothing when run again", async () => {
    await files(accounts);
    const db = await pool();
    await migrate(db, await readMigrations(directory));
    expect(await migrate(db, await readMigrations(directory))).toEqual([]);
    expect((await db.query("SELECT * FROM accounts")).rowCount).toBe(2);
  });

  it("applies only the migrations added since the last run", async () => {
    await files({ "001_create_accounts.sql": accounts["001_create_accounts.sql"] });
    const db = await pool();
    await migrate(db, await readMigrations(directory));
    await files({ "002_add_balance.sql": accounts["002_add_balance.sql"] });
    expect(await migrate(db, await readMigrations(directory))).toEqual(["002_add_balance"]);
    expect(await recorded(db)).toEqual(["001_create_accounts", "002_add_balance"]);
  });

  it("refuses to run when an applied migration was edited, applying nothing after it", async () => {
    await files({ "001_create_accounts.sql": accounts["001_create_accounts.sql"] });
    const db = await pool();
    await migrate(db, await readMigrations(directory));
    await files({
      "001_create_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);",
      "002_add_balance.sql": accounts["002_add_balance.sql"],
    });
    await expect(migrate(db, await readMigrations(directory))).rejects.toThrow(
      "migration 001_create_accounts was changed after it was applied; add a new migration instead",
    );
    expect(await recorded(db)).toEqual(["001_create_accounts"]);
  });

  it("rolls back a failing migration, records nothing for it and keeps the ones before", async () => {
    await files({
      "001_create_accounts.sql": accounts["001_create_accounts.sql"],
      "002_broken.sql": "CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;",
      "003_seed.sql": accounts["003_seed.sql"],
    });
    const db = await pool();
    const error: unknown = await migrate(db, await readMigrations(directory)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("migration 002_broken failed");
    expect((error as Error).cause).toMatchObject({ code: "42P01" });
    expect(await recorded(db)).toEqual(["001_create_accounts"]);
    const halfDone = await db.query("SELECT to_regclass('half_done') AS table");
    expect(halfDone.rows[0]).toEqual({ table: null });
  });

  it("releases its lock and connection after a failure, so the next run proceeds", async () => {
    await files({ "001_broken.sql": "SELECT * FROM nowhere;" });
    const db = await pool();
    await expect(migrate(db, await readMigrations(directory))).rejects.toThrow("migration 001_broken failed");
    expect(db.pool.idleCount).toBe(db.pool.totalCount);
    await files({ "001_broken.sql": "SELECT 1;" });
    const other = await pool();
    expect(await migrate(other, await readMigrations(directory))).toEqual(["001_broken"]);
  });

  it("fails the run, without crashing, when the connection drops mid-migration; the next run proceeds", async () => {
    await files({ "001_create_accounts.sql": accounts["001_create_accounts.sql"] });
    await files({ "002_server_restarts.sql": "SELECT pg_terminate_backend(pg_backend_pid());" });
    const db = await pool();
    const error: unknown = await migrate(db, await readMigrations(directory)).catch((e: unknown) => e);
    expect((error as Error).message).toBe("migration 002_server_restarts failed");
    expect((error as Error).cause).toMatchObject({ code: "57P01" });
    await files({ "002_server_restarts.sql": "SELECT 1;" });
    expect(await migrate(db, await readMigrations(directory))).toEqual(["002_server_restarts"]);
    expect(await recorded(db)).toEqual(["001_create_accounts", "002_server_restarts"]);
  });

  it("applies each file exactly once when two replicas migrate at the same time", async () => {
    await files({
      "001_create_log.sql": "CREATE TABLE applied (version text NOT NULL);\nSELECT pg_sleep(0.2);",
      "002_second.sql": "INSERT INTO applied VALUES ('002');\nSELECT pg_sleep(0.1);",
      "003_third.sql": "INSERT INTO applied VALUES ('003');",
    });
    const migrations = await readMigrations(directory);
    const [a, b] = [await pool(), await pool()];
    const [first, second] = await Promise.all([migrate(a, migrations), migrate(b, migrations)]);
    expect([...first, ...second].sort()).toEqual(["001_create_log", "002_second", "003_third"]);
    expect([first.length, second.length].sort()).toEqual([0, 3]);
    const { rows } = await a.query<{ version: string }>("SELECT version FROM applied ORDER BY version");
    expect(rows.map((row) => row.version)).toEqual(["002", "003"]);
  });

  it("applies the kit's and a service's migrations once when six replicas start at the same time", async () => {
    await files({
      "001_create_log.sql": "CREATE TABLE applied (version text NOT NULL);\nSELECT pg_sleep(0.1);",
      "002_second.sql": "INSERT INTO applied VALUES ('002');",
    });
    const migrations = [...(await readKitMigrations()), ...(await readMigrations(directory))];
    const replicas: Db[] = [];
    for (let i = 0; i < 6; i++) replicas.push(await pool());
    const results = await Promise.all(replicas.map((db) => migrate(db, migrations)));
    // One replica applied everything; the others, let in after it, found nothing left to do.
    expect(results.map((done) => done.length).sort((a, b) => a - b)).toEqual([
      0,
      0,
      0,
      0,
      0,
      migrations.length,
    ]);
    expect(await recorded(replicas[0]!)).toEqual(migrations.map((migration) => migration.version).sort());
    const { rows } = await replicas[0]!.query<{ version: string }>("SELECT version FROM applied");
    expect(rows).toEqual([{ version: "002" }]);
    for (const db of replicas) expect(await migrationsApplied(db, migrations)).toBe(true);
  }, 60_000);

  it("logs each migration it applies", async () => {
    await files(accounts);
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const log = createLogger({ service: "kit", destination });
    await migrate(await pool(), await readMigrations(directory), log);
    expect(lines.map((line) => [line["message"], line["migration"]])).toEqual([
      ["migration applied", "001_create_accounts"],
      ["migration applied", "002_add_balance"],
      ["migration applied", "003_seed"],
    ]);
  });
});

describe("migrationsApplied", () => {
  it("is false before any migration ran, even without the history table", async () => {
    await files(accounts);
    expect(await migrationsApplied(await pool(), await readMigrations(directory))).toBe(false);
  });

  it("is false while some are pending and true once all are applied", async () => {
    await files({ "001_create_accounts.sql": accounts["001_create_accounts.sql"] });
    const db = await pool();
    await migrate(db, await readMigrations(directory));
    await files({ "002_add_balance.sql": accounts["002_add_balance.sql"] });
    const migrations = await readMigrations(directory);
    expect(await migrationsApplied(db, migrations)).toBe(false);
    await migrate(db, migrations);
    expect(await migrationsApplied(db, migrations)).toBe(true);
  });

  it("is false when the database is unreachable", async () => {
    const db = createDb({ connectionString: "postgres://postgres@127.0.0.1:1/none" });
    pools.push(db);
    expect(await migrationsApplied(db, [])).toBe(false);
  });
});
