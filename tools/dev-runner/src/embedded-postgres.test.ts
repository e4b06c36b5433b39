import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPgClient } from "@tessera/kit";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, ensureDatabases, type DatabaseGrant } from "./databases.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.ts";
import { findFreePort } from "./ports.ts";

const grants: DatabaseGrant[] = [
  { role: "catalog", database: "tessera_catalog", password: "catalog-secret" },
  { role: "orders", database: "tessera_orders", password: "orders-secret" },
];

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = createPgClient({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe("embedded PostgreSQL", () => {
  let root: string;
  let dataDir: string;
  let port: number;
  let server: EmbeddedPostgres | undefined;
  const progress: string[] = [];
  const start = () =>
    startEmbeddedPostgres({
      dataDir,
      port,
      adminPassword: "admin-secret",
      onProgress: (text) => progress.push(text),
    });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tessera-pg-"));
    dataDir = join(root, "postgres");
    port = await findFreePort();
  });

  afterAll(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it("initialises a cluster and gives each service a database and role of its own", async () => {
    server = await start();
    expect(progress.some((text) => text.startsWith("initialising database cluster"))).toBe(true);
    await ensureDatabases(server.adminUrl, grants);
    await ensureDatabases(server.adminUrl, grants); // idempotent

    const catalogUrl = databaseUrl(server.adminUrl, grants[0]!);
    expect(catalogUrl).toBe(`postgres://catalog:catalog-secret@127.0.0.1:${port}/tessera_catalog`);
    await query(
      catalogUrl,
      "CREATE TABLE product (sku text PRIMARY KEY); INSERT INTO product VALUES ('tea')",
    );
    const owner = await query(catalogUrl, "SELECT current_user AS role, current_database() AS database");
    expect(owner.rows).toEqual([{ role: "catalog", database: "tessera_catalog" }]);
  });

  it("keeps one service out of another's database", async () => {
    const ordersInCatalog = databaseUrl(server!.adminUrl, { ...grants[1]!, database: "tessera_catalog" });
    await expect(query(ordersInCatalog, "SELECT 1")).rejects.toThrow(/permission denied/);
  });

  it("reuses the data after a restart instead of initialising again", async () => {
    await server!.stop();
    progress.length = 0;
    server = await start();
    expect(progress.some((text) => text.startsWith("initialising"))).toBe(false);
    const rows = await query(databaseUrl(server.adminUrl, grants[0]!), "SELECT sku FROM product");
    expect(rows.rows).toEqual([{ sku: "tea" }]);
  });

  it("starts over a postmaster.pid left behind by a killed run", async () => {
    await server!.stop();
    const lockFile = join(dataDir, "postmaster.pid");
    await writeFile(lockFile, `999999\n${dataDir}\n`);
    server = await start();
    expect((await readFile(lockFile, "utf8")).split("\n")[0]).toBe(String(server.pid));
  });

  it("stops a server an earlier run left running, then starts its own", async () => {
    const orphan = server!;
    server = undefined;
    server = await start();
    expect(progress.some((text) => text.includes(`left running (pid ${orphan.pid})`))).toBe(true);
    await orphan.exited;
    expect(
      (await query(databaseUrl(server.adminUrl, grants[0]!), "SELECT count(*)::int AS n FROM product")).rows,
    ).toEqual([{ n: 1 }]);
  });
});
