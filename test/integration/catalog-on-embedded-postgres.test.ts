import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { findFreePort } from "@tessera/dev-runner/ports";
import type { Client } from "@tessera/kit";
import { testCallers, testClient, testIssuer } from "@tessera/kit/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedCatalog } from "../../services/catalog/src/seed-data.ts";
import { databaseUrl, ensureDatabases } from "../../tools/dev-runner/src/databases.ts";
import {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from "../../tools/dev-runner/src/embedded-postgres.ts";
import { waitUntil } from "../support/polling.ts";
import { processExists } from "../support/processes.ts";
import { createTempDir } from "../support/temp-dir.ts";

// The catalog service, run from its main.ts as its own process, on the embedded PostgreSQL that
// `npm start` uses (real PostgreSQL binaries from npm), with a database and a non-superuser role of
// its own as the dev runner creates them. The same service on the local PostgreSQL server is
// covered by services/catalog/src/catalog.test.ts.

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CATALOG_MAIN = join(REPO_ROOT, "services/catalog/src/main.ts");
const UNKNOWN_ID = "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d";

interface CatalogProcess {
  pid: number;
  /** Everything it printed so far, for failure messages. */
  output(): string;
  /** SIGTERM (SIGKILL after 10 s); resolves with the exit code, null when killed by a signal. */
  stop(): Promise<number | null>;
}

/** Starts services/catalog/src/main.ts as its own process and waits until its /readyz says 200. */
async function startCatalogProcess(env: Record<string, string>, opsPort: number): Promise<CatalogProcess> {
  const child = spawn(process.execPath, [CATALOG_MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env["PATH"] ?? "", LOG_LEVEL: "info", ...env, OPS_PORT: String(opsPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${CATALOG_MAIN}`);
  let printed = "";
  child.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  // "close", not "exit": by then everything it printed has been read.
  const exited = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
  let running = true;
  const died = new AbortController();
  void exited.then(([code, signal]) => {
    running = false;
    died.abort(new Error(`the catalog exited (${code ?? signal}) before it was ready`));
  });
  // Should the test run itself die, the service must not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const catalog: CatalogProcess = {
    pid: child.pid,
    output: () => printed,
    async stop() {
      process.off("exit", killOnExit);
      if (running) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      const [code] = await exited;
      return code;
    },
  };
  try {
    await waitUntil(
      `the catalog's /readyz on port ${opsPort} to answer 200`,
      async () => {
        const { status } = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
        if (status !== 200) throw new Error(`/readyz answered ${status}`);
        return true;
      },
      { timeoutMs: 60_000, signal: died.signal },
    );
  } catch (error) {
    await catalog.stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${reason}\n--- catalog output ---\n${printed}`, { cause: error });
  }
  return catalog;
}

describe("catalog on embedded PostgreSQL", () => {
  let root: string | undefined;
  let server: EmbeddedPostgres | undefined;
  let db: pg.Pool | undefined;
  let catalogEnv: Record<string, string>;
  let opsPort: number;
  let service: CatalogProcess | undefined;
  let catalog: Client<typeof CatalogService>;

  async function count(sql: string): Promise<number> {
    const { rows } = await db!.query<{ n: number }>(sql);
    return rows[0]!.n;
  }

  beforeAll(async () => {
    root = await createTempDir("tessera-catalog-pg-");
    server = await startEmbeddedPostgres({
      dataDir: join(root, "postgres"),
      port: await findFreePort(),
      adminPassword: randomBytes(18).toString("base64url"),
    });
    const grant = {
      role: "catalog",
      database: "tessera_catalog",
      password: randomBytes(18).toString("base64url"),
    };
    await ensureDatabases(server.adminUrl, [grant]);
    const url = databaseUrl(server.adminUrl, grant);
    db = new pg.Pool({ connectionString: url, max: 2 });
    // The catalog is stopped and started under it: an idle connection dropping must not crash the run.
    db.on("error", (error) => process.emitWarning(`test pool: ${error.message}`));
    const grpcPort = await findFreePort();
    opsPort = await findFreePort();
    catalogEnv = {
      ...(await testIssuer()).env,
      DATABASE_URL: url,
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: String(grpcPort),
      TESSERA_MODE: "embedded",
    };
    service = await startCatalogProcess(catalogEnv, opsPort);
    catalog = testClient(CatalogService, `127.0.0.1:${grpcPort}`, testCallers.customer("shopper"));
  }, 120_000);

  afterAll(async () => {
    catalog?.close();
    await service?.stop();
    await db?.end();
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  }, 60_000);

  it("migrates and seeds its own database as a role that is not a superuser", async () => {
    expect(service!.output()).toMatch(/catalog seeded/);
    expect(await count("SELECT count(*)::int AS n FROM products")).toBe(seedCatalog.length);
    const { rows } = await db!.query<{ role: string; superuser: boolean }>(
      "SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user",
    );
    expect(rows).toEqual([{ role: "catalog", superuser: false }]);
  });

  it("pages through every product by name without duplicates or gaps", async () => {
    const names: string[] = [];
    const ids = new Set<string>();
    let pageToken = "";
    let pages = 0;
    do {
      const page = await catalog.listProducts({ pageSize: 7, pageToken });
      expect(page.products.length).toBeLessThanOrEqual(7);
      for (const product of page.products) {
        names.push(product.name);
        ids.add(product.id);
      }
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "" && pages < 100);
    expect(pageToken).toBe("");
    expect(names.length).toBeGreaterThanOrEqual(50);
    expect(names).toHaveLength(seedCatalog.length);
    expect(ids.size).toBe(names.length);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(pages).toBe(Math.ceil(seedCatalog.length / 7));
  });

  it("gets a product with its price in integer minor units of USD", async () => {
    const { products } = await catalog.listProducts({ pageSize: 3 });
    const listed = products[2]!;
    const { product } = await catalog.getProduct({ id: listed.id });
    expect(product).toEqual(listed);
    expect(product?.price?.currencyCode).toBe("USD");
    expect(typeof product?.price?.amountMinor).toBe("bigint");
    expect(product?.price?.amountMinor).toBeGreaterThan(0n);
    expect(product?.createTime?.seconds).toBeGreaterThan(0n);
  });

  it("searches with the name matches first, and pages the results with a token bound to the query", async () => {
    const { products } = await catalog.searchProducts({ query: "tent" });
    expect(
      products
        .slice(0, 2)
        .map((product) => product.sku)
        .sort(),
    ).toEqual(["TENT-2P-ULTRA", "TENT-4P-FAMILY"]);

    const first = await catalog.searchProducts({ query: "camping", pageSize: 3 });
    expect(first.products).toHaveLength(3);
    expect(first.nextPageToken).not.toBe("");
    const second = await catalog.searchProducts({
      query: "camping",
      pageSize: 3,
      pageToken: first.nextPageToken,
    });
    expect(second.products.length).toBeGreaterThan(0);
    const firstIds = new Set(first.products.map((product) => product.id));
    expect(second.products.filter((product) => firstIds.has(product.id))).toEqual([]);
  });

  it.each([
    ["a negative page size", { pageSize: -1 }],
    ["a malformed page token", { pageToken: "%%%not-a-token" }],
    ["a page token that is not ours", { pageToken: "e30" }],
  ])("rejects a list with %s as invalid_argument", async (_, request) => {
    await expect(catalog.listProducts(request)).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(/page_size|page_token/),
    });
  });

  it("rejects a search with a bad page size, an empty query or another query's token as invalid_argument", async () => {
    const { nextPageToken } = await catalog.searchProducts({ query: "camping", pageSize: 2 });
    for (const request of [
      { query: "tent", pageSize: -1 },
      { query: "   " },
      { query: "hiking", pageToken: nextPageToken },
    ]) {
      await expect(catalog.searchProducts(request)).rejects.toMatchObject({ code: "invalid_argument" });
    }
  });

  it("answers an unknown id with not_found and a malformed one with invalid_argument", async () => {
    await expect(catalog.getProduct({ id: UNKNOWN_ID })).rejects.toMatchObject({
      code: "not_found",
      message: `product ${UNKNOWN_ID} not found`,
    });
    await expect(catalog.getProduct({ id: "42" })).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("wrote one ProductChanged event to the outbox for every seeded product", async () => {
    expect(
      await count("SELECT count(*)::int AS n FROM outbox WHERE type = 'tessera.catalog.v1.ProductChanged'"),
    ).toBe(seedCatalog.length);
    // Each event is about one product (its subject), and every product has its event.
    expect(
      await count(
        `SELECT count(*)::int AS n FROM products p
          WHERE (SELECT count(*) FROM outbox o WHERE o.subject = p.id::text AND o.type = 'tessera.catalog.v1.ProductChanged') = 1`,
      ),
    ).toBe(seedCatalog.length);
  });

  it("stops cleanly on SIGTERM and restarts on the same database without seeding again", async () => {
    const before = await count("SELECT count(*)::int AS n FROM outbox");
    const { pid } = service!;
    const exitCode = await service!.stop();
    expect(exitCode, service!.output()).toBe(0);
    expect(processExists(pid)).toBe(false);
    service = await startCatalogProcess(catalogEnv, opsPort);
    expect(service.output()).not.toMatch(/catalog seeded/);
    expect(await count("SELECT count(*)::int AS n FROM products")).toBe(seedCatalog.length);
    expect(await count("SELECT count(*)::int AS n FROM outbox")).toBe(before);
    // The same client reconnects to the new process.
    const { products } = await catalog.listProducts({ pageSize: 2 });
    expect(products).toHaveLength(2);
  });
});
