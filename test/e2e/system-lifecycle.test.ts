import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { startSystem, type RunningSystem } from "@tessera/dev-runner";
import { findFreeSystemPorts } from "@tessera/dev-runner/system-ports";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedCatalog } from "../../services/catalog/src/seed-data.ts";
import { PORTS, POSTGRES_PORT, SERVICES } from "../../tools/dev-runner/src/services.ts";
import { waitUntil } from "../support/polling.ts";
import { isListening, processExists } from "../support/processes.ts";
import { isolatedEnv, systemProbes } from "../support/system-probes.ts";
import type { Problem, ProductJson, ProductPage } from "../support/system-probes.ts";
import { createTempDir } from "../support/temp-dir.ts";

// The whole system booted the way `npm start` boots it — embedded PostgreSQL, every service its own
// supervised process — in a temporary data directory and on ports of its own: ready, seeded,
// restarting what dies, stopping everything, and starting again on the same data.

const STARTUP_TIMEOUT_MS = 90_000;

describe("Tessera started through the dev runner", () => {
  let dataDir: string;
  let portOffset: number;
  let gatewayPort: number;
  let output: string[] = [];
  let system: RunningSystem | undefined;
  let starting: Promise<RunningSystem> | undefined;
  let startup: AbortController | undefined;
  /** Every service process seen, so the end can check that none outlived the system. */
  const pids = new Set<number>();
  let seededIds: string[] = [];

  const printed = () => output.join("");
  const tail = () => printed().split("\n").slice(-40).join("\n");

  /** Starts the system as `npm start` would, but isolated; a failure carries what the runner printed. */
  async function start(): Promise<RunningSystem> {
    output = [];
    startup = new AbortController();
    // Only startup is bounded: aborting the signal later would stop the running system.
    const timer = setTimeout(
      () => startup?.abort(new Error(`not ready within ${STARTUP_TIMEOUT_MS} ms`)),
      STARTUP_TIMEOUT_MS,
    );
    starting = startSystem({
      dataDir,
      portOffset,
      gatewayPort,
      env: isolatedEnv,
      logLevel: "info",
      output: { write: (text: string) => output.push(text) },
      signal: startup.signal,
    });
    try {
      system = await starting;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`the system did not start: ${reason}\n--- runner output ---\n${tail()}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      starting = undefined;
    }
    for (const status of system.statuses.values()) if (status.pid !== undefined) pids.add(status.pid);
    return system;
  }

  const { status, request } = systemProbes(() => system);

  async function listAll(query: string, pageSize: number): Promise<ProductJson[]> {
    const all: ProductJson[] = [];
    let token = "";
    for (let pages = 0; pages < 100; pages++) {
      const { status, body } = await request<ProductPage>(
        `/api/v1/products?${query}&page_size=${pageSize}&page_token=${encodeURIComponent(token)}`,
      );
      expect(status).toBe(200);
      expect(body.products.length).toBeLessThanOrEqual(pageSize);
      all.push(...body.products);
      if (body.nextPageToken === "") return all;
      token = body.nextPageToken;
    }
    throw new Error("paging did not end after 100 pages");
  }

  /** The embedded PostgreSQL's pid, from the lock file PostgreSQL itself keeps in its data directory. */
  async function postgresPid(): Promise<number> {
    const lockFile = await readFile(join(dataDir, "postgres", "postmaster.pid"), "utf8");
    return Number.parseInt(lockFile.split("\n")[0] ?? "", 10);
  }

  beforeAll(async () => {
    dataDir = await createTempDir("tessera-e2e-");
    ({ gatewayPort, portOffset } = await findFreeSystemPorts());
    await start();
  }, 120_000);

  afterAll(async () => {
    // Whatever failed: a startup still in progress is aborted (it then stops what it started), a
    // running system is stopped, and the data directory goes.
    startup?.abort(new Error("the test is over"));
    await starting?.catch(() => undefined);
    await system?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("says it is ready, with every service ready on the ports of its offset", () => {
    expect(printed()).toContain(`Tessera is ready: http://127.0.0.1:${gatewayPort}/`);
    expect(printed()).toContain("initialising database cluster");
    expect(status("catalog")).toMatchObject({
      state: "ready",
      port: PORTS.catalog.grpc + portOffset,
      opsPort: PORTS.catalog.ops + portOffset,
      restarts: 0,
    });
    expect(status("gateway")).toMatchObject({
      state: "ready",
      port: gatewayPort,
      opsPort: PORTS.gateway.ops + portOffset,
      restarts: 0,
    });
  });

  it("pages through every seeded product by name, each once", async () => {
    const products = await listAll("", 7);
    expect(products.length).toBeGreaterThanOrEqual(50);
    expect(products).toHaveLength(seedCatalog.length);
    const ids = products.map((product) => product.id);
    expect(new Set(ids).size).toBe(ids.length);
    const names = products.map((product) => product.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(printed()).toMatch(/catalog\s*[|│].*catalog seeded/);
    seededIds = ids;
  });

  it("isolates a killed catalog: 503 with Retry-After while it is down, then recovers by itself", async () => {
    const killed = status("catalog").pid!;
    process.kill(killed, "SIGKILL");

    const unavailable = await waitUntil(
      "the gateway to answer 503 while the catalog is down",
      async () => {
        const reply = await request<Problem>("/api/v1/products");
        if (reply.status !== 503) throw new Error(`GET /api/v1/products answered ${reply.status}`);
        return reply;
      },
      { timeoutMs: 5_000, intervalMs: 50 },
    );
    expect(unavailable.headers.get("retry-after")).toBe("5");
    expect(unavailable.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(unavailable.body).toMatchObject({
      status: 503,
      type: "urn:tessera:problem:unavailable",
      requestId: unavailable.headers.get("x-request-id"),
    });
    expect(JSON.stringify(unavailable.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|circuit/);
    // The rest of the gateway does not depend on the catalog.
    expect((await request("/")).status).toBe(200);
    expect((await request("/api/openapi.json")).status).toBe(200);

    // Back once the runner has restarted the catalog and the gateway's circuit breaker half-opens (5 s).
    await waitUntil(
      "the products API to work again after the runner restarted the catalog",
      async () => {
        const { status: code } = await request("/api/v1/products?page_size=1");
        if (code !== 200) throw new Error(`GET /api/v1/products answered ${code}`);
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const restarted = await waitUntil(
      "the runner to report the restarted catalog ready",
      () => {
        const catalog = status("catalog");
        if (catalog.state !== "ready") throw new Error(`catalog is ${catalog.state}`);
        return catalog;
      },
      { timeoutMs: 5_000 },
    );
    expect(restarted.restarts).toBe(1);
    expect(restarted.pid).not.toBe(killed);
    pids.add(restarted.pid!);
    expect(processExists(killed)).toBe(false);
    expect(status("gateway")).toMatchObject({ state: "ready", restarts: 0 });
  });

  it("stops every service process and then PostgreSQL", async () => {
    const pgPid = await postgresPid();
    const pgPort = POSTGRES_PORT + portOffset;
    expect(await isListening(pgPort)).toBe(true);
    const running = system!;
    await running.stop();
    system = undefined;

    expect([...running.statuses.values()].map((s) => [s.name, s.state])).toEqual(
      SERVICES.map((service) => [service.name, "stopped"]),
    );
    for (const pid of [...pids, pgPid]) {
      // process.kill(pid, 0) throws ESRCH: the process is gone and reaped.
      expect(processExists(pid), `process ${pid} is still there`).toBe(false);
    }
    const servicePorts = [PORTS.catalog.grpc, PORTS.catalog.ops, PORTS.gateway.ops].map(
      (p) => p + portOffset,
    );
    for (const port of [pgPort, gatewayPort, ...servicePorts]) {
      expect(await isListening(port), `something still listens on ${port}`).toBe(false);
    }
    expect(existsSync(join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
    expect(existsSync(join(dataDir, "dev-runner.lock"))).toBe(false);
    expect(printed()).toMatch(/stopped\s*$/);
  });

  it("starts again on the same data directory and reuses the data without seeding twice", async () => {
    await start();
    expect(printed()).not.toContain("initialising database cluster");
    expect(printed()).not.toContain("catalog seeded");
    const products = await listAll("", 100);
    expect(products).toHaveLength(seedCatalog.length);
    expect(products.map((product) => product.id)).toEqual(seededIds);
    const running = system!;
    const secondRun = [...running.statuses.values()].map((status) => status.pid!);
    await running.stop();
    system = undefined;
    for (const status of running.statuses.values()) expect(status.state).toBe("stopped");
    for (const pid of secondRun) expect(processExists(pid), `process ${pid} is still there`).toBe(false);
    expect(await isListening(POSTGRES_PORT + portOffset)).toBe(false);
  });
});
