import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Db } from "./db.ts";
import type { Logger } from "./logger.ts";

export interface Migration {
  version: string;
  sql: string;
  checksum: string;
}

const fileName = /^(\d{3,})[-_][\w-]+\.sql$/;

/**
 * Reads `NNN_name.sql` files from `directory`, in order. Other files are ignored. `prefix` keeps
 * the toolkit's own migrations apart from the service's in `schema_migrations`.
 */
export async function readMigrations(directory: string, prefix = ""): Promise<Migration[]> {
  // Ordered and compared by numeric value, so that 1000_x follows 999_y and 002_a clashes with 0002_b.
  const numbered = (await readdir(directory)).flatMap((name) => {
    const number = fileName.exec(name)?.[1];
    return number === undefined ? [] : [{ name, number, value: BigInt(number) }];
  });
  numbered.sort((a, b) => (a.value === b.value ? 0 : a.value < b.value ? -1 : 1));
  const versions = new Set<bigint>();
  const migrations: Migration[] = [];
  for (const { name, number, value } of numbered) {
    const version = prefix + name.replace(/\.sql$/, "");
    if (versions.has(value)) throw new Error(`two migrations numbered ${number} in ${directory}`);
    versions.add(value);
    const sql = await readFile(join(directory, name), "utf8");
    migrations.push({ version, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  return migrations;
}

// Any constant works as long as every Tessera service uses the same one: the lock is per database.
const migrationLock = 7_342_001;

/** The kit's own migrations (outbox, inbox, offsets, dead letters…), which run before every service's. */
export function readKitMigrations(): Promise<Migration[]> {
  return readMigrations(fileURLToPath(new URL("../migrations", import.meta.url)), "kit/");
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction,
 * under a PostgreSQL advisory lock so that two replicas starting at once apply each file exactly
 * once. Refuses to start when an applied file was edited afterwards (its checksum changed).
 * Returns the versions it applied.
 */
export async function migrate(db: Db, migrations: readonly Migration[], log?: Logger): Promise<string[]> {
  const client = await db.pool.connect();
  // As in `db.tx`: a checked-out client has no error listener of the pool's, and a connection dropped
  // mid-run (database restarting) must fail this run, not crash the process.
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on("error", onError);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [migrationLock]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: string; checksum: string }>(
      "SELECT version, checksum FROM schema_migrations",
    );
    const applied = new Map(rows.map((row) => [row.version, row.checksum]));
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(
            `migration ${migration.version} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", [
          migration.version,
          migration.checksum,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new Error(`migration ${migration.version} failed`, { cause: error });
      }
      log?.info({ migration: migration.version }, "migration applied");
      done.push(migration.version);
    }
    return done;
  } finally {
    // The lock is the session's: a connection that cannot unlock is destroyed, which releases it.
    await client.query("SELECT pg_advisory_unlock($1)", [migrationLock]).catch((error: unknown) => {
      broken ??= error instanceof Error ? error : new Error("could not release the migration lock");
    });
    client.off("error", onError);
    client.release(broken);
  }
}

/** True when every migration is recorded as applied (readiness). */
export async function migrationsApplied(db: Db, migrations: readonly Migration[]): Promise<boolean> {
  try {
    const { rows } = await db.query<{ version: string }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((row) => row.version));
    return migrations.every((migration) => applied.has(migration.version));
  } catch {
    return false;
  }
}
