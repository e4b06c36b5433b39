import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPgClient } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.ts";
import { findBusyPorts, findFreePort } from "./ports.ts";
import { waitForExit } from "./processes.ts";
import { SERVICES } from "./services.ts";
import { findFreeSystemPorts } from "./system-ports.ts";
import { startSystem, type RunningSystem, type SystemOptions } from "./system.ts";

// Stand-ins for the real services, which this test must not depend on: each reports its
// environment as a JSON log line, serves /readyz, and the catalog counts its starts in its database.
const PG = JSON.stringify(import.meta.resolve("pg"));
const STAND_INS = {
  catalog: `
    import { createServer } from "node:http";
    import { createServer as tcp } from "node:net";
    const { default: pg } = await import(${PG});
    const env = process.env;
    let ready = false;
    console.log(JSON.stringify({ "log.level": "info", message: "env", env: {
      TESSERA_MODE: env.TESSERA_MODE, GRPC_PORT: env.GRPC_PORT, OPS_PORT: env.OPS_PORT,
      DATABASE_URL: env.DATABASE_URL, LOG_LEVEL: env.LOG_LEVEL, TESSERA_PG_URL: env.TESSERA_PG_URL ?? null } }));
    const rpc = tcp().listen(Number(env.GRPC_PORT));
    const ops = createServer((req, res) => res.writeHead(ready ? 200 : 503).end()).listen(Number(env.OPS_PORT));
    if (env.STAND_IN_NEVER_READY !== "1") {
      const db = new pg.Client({ connectionString: env.DATABASE_URL });
      await db.connect();
      await db.query("CREATE TABLE IF NOT EXISTS starts (at timestamptz DEFAULT now())");
      await db.query("INSERT INTO starts DEFAULT VALUES");
      await db.end();
      ready = true;
    }
    process.on("SIGTERM", () => { rpc.close(); ops.close(); process.exit(0); });`,
  gateway: `
    import { createServer } from "node:http";
    const env = process.env;
    console.log(JSON.stringify({ "log.level": "info", message: "env", env: { CATALOG_ADDR: env.CATALOG_ADDR, DATABASE_URL: env.DATABASE_URL ?? null } }));
    const web = createServer((req, res) => res.end("storefront")).listen(Number(env.GATEWAY_PORT), "127.0.0.1");
    const ops = createServer((req, res) => res.writeHead(200).end()).listen(Number(env.OPS_PORT));
    process.on("SIGTERM", () => { web.close(); ops.close(); process.exit(0); });`,
};

/** A repository whose services/<name>/src/main.ts are the stand-ins. */
async function writeStandIns(repo: string): Promise<void> {
  for (const [name, source] of Object.entries(STAND_INS)) {
    await mkdir(join(repo, "services", name, "src"), { recursive: true });
    await writeFile(join(repo, "services", name, "src", "main.ts"), source);
  }
}

function capture() {
  const text: string[] = [];
  return { text, output: { write: (chunk: string) => text.push(chunk) } };
}

function loggedEnv(lines: readonly string[], service: string): Record<string, string | null> {
  const line = lines
    .join("")
    .split("\n")
    .find((l) => l.split(" ")[0] === service && l.includes(" env env."));
  if (!line) throw new Error(`no env line from ${service}`);
  const value = (text: string) =>
    text === "null" ? null : text.startsWith('"') ? (JSON.parse(text) as string) : text;
  return Object.fromEntries(
    [...line.matchAll(/env\.(\w+)=(\S+)/g)].map(([, key = "", text = ""]) => [key, value(text)]),
  );
}

// Two stand-ins are enough to exercise the runner: a service with a database, and the gateway.
const standInServices = SERVICES.filter(
  (service) => service.name === "catalog" || service.name === "gateway",
);

describe("startSystem (with stand-in services)", () => {
  let root: string;
  let options: SystemOptions;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tessera-system-"));
    await chmod(root, 0o711); // the data directory below must be reachable by the postgres user
    await writeStandIns(join(root, "repo"));
    options = {
      repoRoot: join(root, "repo"),
      dataDir: join(root, "data"),
      // Clear of a developer's running Tessera.
      ...(await findFreeSystemPorts()),
      env: { PATH: process.env["PATH"], TESSERA_PG_URL: undefined },
      services: standInServices,
    };
  });

  afterAll(async () => {
    await system?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it("starts PostgreSQL, a database per service and every service, then says it is ready", async () => {
    const { text, output } = capture();
    system = await startSystem({ ...options, output, signal: AbortSignal.timeout(60_000) });
    const printed = text.join("");
    expect(printed).toContain("initialising database cluster");
    expect(printed).toContain(`Tessera is ready: http://127.0.0.1:${options.gatewayPort}/`);
    expect([...system.statuses.values()].map((s) => [s.name, s.state])).toEqual([
      ["catalog", "ready"],
      ["gateway", "ready"],
    ]);
    expect(await (await fetch(system.gatewayUrl)).text()).toBe("storefront");

    const offset = options.portOffset!;
    const catalog = loggedEnv(text, "catalog");
    expect(catalog).toMatchObject({
      TESSERA_MODE: "embedded",
      GRPC_PORT: String(50051 + offset),
      OPS_PORT: String(9051 + offset),
      LOG_LEVEL: "info",
      TESSERA_PG_URL: null,
    });
    expect(catalog["DATABASE_URL"]).toMatch(
      new RegExp(`^postgres://catalog:[\\w-]+@127\\.0\\.0\\.1:${54329 + offset}/tessera_catalog$`),
    );
    expect(loggedEnv(text, "gateway")).toEqual({
      CATALOG_ADDR: `127.0.0.1:${50051 + offset}`,
      DATABASE_URL: null,
    });
  });

  it("stops services, then PostgreSQL, leaving nothing running", async () => {
    const { pid } = system!.statuses.get("catalog")!;
    await system!.stop();
    system = undefined;
    expect(() => process.kill(pid!, 0)).toThrow();
    const offset = options.portOffset!;
    const ports = [54329, 50051, 9051, 9080].map((port) => ({
      port: port + offset,
      host: "0.0.0.0",
      label: "",
    }));
    expect(await findBusyPorts(ports)).toEqual([]);
    expect(existsSync(join(options.dataDir!, "dev-runner.lock"))).toBe(false);
  });

  it("reuses the data on the next start", async () => {
    const { text, output } = capture();
    system = await startSystem({ ...options, output, signal: AbortSignal.timeout(60_000) });
    expect(text.join("")).not.toContain("initialising");
    const client = createPgClient({ connectionString: loggedEnv(text, "catalog")["DATABASE_URL"]! });
    await client.connect();
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM starts");
    await client.end();
    expect(rows).toEqual([{ n: 2 }]);
    await system.stop();
    system = undefined;
  });

  it("runs catalog=2 as two supervised processes on their own ports and one database; callers get both", async () => {
    const { text, output } = capture();
    const env = { ...options.env, TESSERA_REPLICAS: "catalog=2" };
    system = await startSystem({ ...options, env, output, signal: AbortSignal.timeout(60_000) });
    const offset = options.portOffset!;
    expect([...system.statuses.values()].map((s) => [s.name, s.state, s.port, s.opsPort])).toEqual([
      ["catalog", "ready", 50051 + offset, 9051 + offset],
      ["catalog#2", "ready", 50151 + offset, 9151 + offset],
      ["gateway", "ready", options.gatewayPort, 9080 + offset],
    ]);
    // Each replica's lines carry its own name; both use the service's one database.
    const second = loggedEnv(text, "catalog#2");
    expect(second).toMatchObject({ GRPC_PORT: String(50151 + offset), OPS_PORT: String(9151 + offset) });
    expect(second["DATABASE_URL"]).toBe(loggedEnv(text, "catalog")["DATABASE_URL"]);
    expect(loggedEnv(text, "gateway")["CATALOG_ADDR"]).toBe(
      `127.0.0.1:${50051 + offset},127.0.0.1:${50151 + offset}`,
    );
    await system.stop();
    system = undefined;
  });

  it("kills everything at once on kill(), as a second Ctrl-C does", async () => {
    const { output } = capture();
    const running = await startSystem({ ...options, output, signal: AbortSignal.timeout(60_000) });
    const pids = [...running.statuses.values()].map((status) => status.pid!);
    running.kill();
    for (const pid of pids) expect(await waitForExit(pid, 2_000)).toBe(true);
    const offset = options.portOffset!;
    const ports = [54329, 50051].map((port) => ({ port: port + offset, host: "0.0.0.0", label: "" }));
    await expect.poll(() => findBusyPorts(ports), { timeout: 5_000 }).toEqual([]);
    // The runner records an exit when it hears of it, which on a busy machine may come a moment later.
    await expect
      .poll(() => [...running.statuses.values()].map((status) => status.state), { timeout: 10_000 })
      .toEqual(["stopped", "stopped"]);
  });

  it("passes DATABASE_URL_<SERVICE> through and starts no PostgreSQL for it", async () => {
    const { text, output } = capture();
    const given = "postgres://someone:pw@db.example:5432/elsewhere";
    const env = { ...options.env, DATABASE_URL_CATALOG: given, STAND_IN_NEVER_READY: "1" };
    const aborted = startSystem({ ...options, env, output, signal: AbortSignal.timeout(1_500) });
    await expect(aborted).rejects.toThrow(/stopped before every service was ready: catalog starting/);
    expect(text.join("")).not.toContain("PostgreSQL");
    expect(loggedEnv(text, "catalog")["DATABASE_URL"]).toBe(given);
    expect(existsSync(join(options.dataDir!, "dev-runner.lock"))).toBe(false);
  });
});

describe("startSystem with TESSERA_PG_URL (infrastructure mode)", () => {
  let root: string;
  let external: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tessera-infra-"));
    await writeStandIns(join(root, "repo"));
    // Stands in for a server the runner does not own.
    external = await startEmbeddedPostgres({
      dataDir: join(root, "external"),
      port: await findFreePort(),
      adminPassword: "admin-secret",
    });
  });

  afterAll(async () => {
    await external?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it("creates the databases on that server and starts no PostgreSQL of its own", async () => {
    const { text, output } = capture();
    const system = await startSystem({
      repoRoot: join(root, "repo"),
      dataDir: join(root, "data"),
      ...(await findFreeSystemPorts()),
      pgUrl: external!.adminUrl,
      env: { PATH: process.env["PATH"] },
      services: standInServices,
      output,
      signal: AbortSignal.timeout(60_000),
    });
    try {
      const printed = text.join("");
      expect(printed).toContain(
        `using the PostgreSQL server at postgres://postgres:***@127.0.0.1:${external!.port}/`,
      );
      expect(printed).not.toContain("starting PostgreSQL");
      expect(loggedEnv(text, "catalog")["DATABASE_URL"]).toMatch(
        new RegExp(`^postgres://catalog:[\\w-]+@127\\.0\\.0\\.1:${external!.port}/tessera_catalog$`),
      );
    } finally {
      await system.stop();
    }
  });
});
