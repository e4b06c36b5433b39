import { EchoService } from "@tessera/contracts/testing/v1";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { z } from "./config.ts";
import { ConfigError } from "./config.ts";
import { ServiceError } from "./errors.ts";
import { createService, type Service } from "./service.ts";
import { RpcServiceConfig } from "./service-config.ts";
import { createTestDatabase, startTcpProxy, type TestDatabase } from "./testing.ts";

const EchoConfig = RpcServiceConfig;
type EchoConfig = z.infer<typeof EchoConfig>;

let directory: string;
const databases: TestDatabase[] = [];
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "tessera-service-"));
  await writeFile(
    join(directory, "001_create_echoes.sql"),
    "CREATE TABLE echoes (id serial PRIMARY KEY, message text NOT NULL);",
  );
  await writeFile(join(directory, "README.md"), "not a migration");
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  for (const database of databases.splice(0)) await database.drop();
  await rm(directory, { recursive: true, force: true });
});

async function database(): Promise<TestDatabase> {
  const created = await createTestDatabase("kit_service");
  databases.push(created);
  return created;
}

function env(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: url,
    GRPC_HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    SHUTDOWN_TIMEOUT_MS: "1000",
    ...extra,
  };
}

/** An Echo service that stores what it echoes: proves the handler reaches the migrated database. */
async function echoService(
  extra: Record<string, string> = {},
  migrations: string | URL = directory,
): Promise<Service<EchoConfig>> {
  const { url } = await database();
  const service = await createService({
    name: "echo",
    config: EchoConfig,
    database: { migrations },
    env: env(url, extra),
  });
  cleanups.push(() => service.stop());
  service.serve(EchoService, {
    async echo(request, context) {
      await service.db.query("INSERT INTO echoes (message) VALUES ($1)", [request.message]);
      return { message: request.message, deadlineMs: BigInt(context.deadline ?? 0) };
    },
    echoOnce: (request) => ({ message: request.message }),
    async *echoStream(request) {
      for (let index = 0; index < request.count; index++)
        yield await Promise.resolve({ message: request.message, index });
    },
  });
  return service;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const get = (port: number, path: string) => fetch(`http://127.0.0.1:${port}${path}`);

/** Whether anything accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("createService", () => {
  it("migrates, serves RPC and answers ready on its ops port", async () => {
    const service = await echoService();
    const { rpcPort, opsPort } = await service.start();
    expect(rpcPort).toBeGreaterThan(0);
    expect(opsPort).toBeGreaterThan(0);
    expect(rpcPort).not.toBe(opsPort);

    const { rows } = await service.db.query<{ version: string }>("SELECT version FROM schema_migrations");
    expect(rows.map((row) => row.version)).toContain("001_create_echoes");

    const client = service.client(EchoService, `127.0.0.1:${rpcPort}`);
    expect((await client.echo({ message: "stored" })).message).toBe("stored");
    expect((await service.db.query("SELECT message FROM echoes")).rows).toEqual([{ message: "stored" }]);

    const ready = await get(opsPort, "/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      ready: true,
      checks: { database: true, migrations: true },
    });
    expect((await get(opsPort, "/healthz")).status).toBe(200);
    const metrics = await (await get(opsPort, "/metrics")).text();
    expect(metrics).toMatch(
      /rpc_server_duration_seconds_count\{(?=[^}]*method="Echo")(?=[^}]*code="OK")[^}]*\} 1/,
    );
    expect(metrics).toMatch(/rpc_client_duration_seconds_count\{(?=[^}]*method="Echo")[^}]*\} 1/);
    expect(metrics).toContain('service_name="echo"');
  });

  it("exposes its parsed, frozen config", async () => {
    const service = await echoService({ RPC_DEADLINE_MS: "1500" });
    expect(service.name).toBe("echo");
    expect(service.config.RPC_DEADLINE_MS).toBe(1500);
    expect(service.config.GRPC_HOST).toBe("127.0.0.1");
    expect(Object.isFrozen(service.config)).toBe(true);
  });

  it("gives its clients the configured default deadline", async () => {
    const service = await echoService({ RPC_DEADLINE_MS: "1500" });
    const { rpcPort } = await service.start();
    const before = Date.now();
    const response = await service.client(EchoService, `127.0.0.1:${rpcPort}`).echo({ message: "x" });
    const after = Date.now();
    // 1.5 s after the call started, somewhere between `before` and `after` (the wire rounds it).
    expect(Number(response.deadlineMs)).toBeGreaterThan(before + 1_400);
    expect(Number(response.deadlineMs)).toBeLessThanOrEqual(after + 1_500);
  });

  it("binds the configured ports", async () => {
    const probe = await echoService();
    const { rpcPort, opsPort } = await probe.start();
    await probe.stop();
    const service = await echoService({ GRPC_PORT: String(rpcPort), OPS_PORT: String(opsPort) });
    expect(await service.start()).toEqual({ rpcPort, opsPort });
  });

  it("accepts the migrations directory as a file URL", async () => {
    const service = await echoService({}, pathToFileURL(`${directory}/`));
    await service.start();
    expect((await service.db.query("SELECT count(*)::int AS n FROM echoes")).rows).toEqual([{ n: 0 }]);
  });

  it("answers 503 on /readyz while a readiness check fails, naming it", async () => {
    const service = await echoService();
    let cacheWarm = false;
    service.readiness("cache", () => Promise.resolve(cacheWarm));
    const { opsPort } = await service.start();
    const response = await get(opsPort, "/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ready: false, checks: { database: true, cache: false } });
    cacheWarm = true;
    expect((await get(opsPort, "/readyz")).status).toBe(200);
  });

  it("closes everything on stop: ports, database pool and clients", async () => {
    const service = await echoService();
    const { rpcPort, opsPort } = await service.start();
    const client = service.client(EchoService, `127.0.0.1:${rpcPort}`, { maxAttempts: 1 });
    expect((await client.echo({ message: "before" })).message).toBe("before");
    await service.stop();
    expect(await accepts(opsPort)).toBe(false);
    expect(await accepts(rpcPort)).toBe(false);
    expect(service.db.pool.ended).toBe(true);
    await expect(client.echo({ message: "after" })).rejects.toBeInstanceOf(ServiceError);
  });

  it("stops promptly even while an ops connection is mid-request", async () => {
    const service = await echoService();
    const { opsPort } = await service.start();
    const socket = connect(opsPort, "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n"); // headers never finished
    const started = Date.now();
    await service.stop();
    // An unfinished request would otherwise hold the close for the server's 60 s headers timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
    socket.destroy();
  });

  it("runs stop hooks once, in reverse order, after the RPC server drained", async () => {
    const service = await echoService();
    const order: string[] = [];
    service.onStop(() => {
      order.push("first registered");
    });
    service.onStop(async () => {
      await service.db.query("SELECT 1"); // the database is still open for hooks
      order.push("second registered");
    });
    service.onStop(() => {
      throw new Error("a failing hook does not stop the others");
    });
    await service.start();
    await service.stop();
    await service.stop();
    expect(order).toEqual(["second registered", "first registered"]);
  });

  it("answers not ready once stopping has begun", async () => {
    const service = await echoService();
    let resume!: () => void;
    service.onStop(() => new Promise<void>((resolve) => (resume = resolve)));
    const { opsPort } = await service.start();
    const stopping = service.stop();
    await expect.poll(() => typeof resume === "function").toBe(true);
    expect((await get(opsPort, "/readyz")).status).toBe(503);
    resume();
    await stopping;
  });

  it("leaves no signal handlers behind once stopped", async () => {
    const before = [process.listenerCount("SIGTERM"), process.listenerCount("SIGINT")];
    const service = await echoService();
    await service.start();
    expect(process.listenerCount("SIGTERM")).toBe(before[0]! + 1);
    await service.stop();
    expect([process.listenerCount("SIGTERM"), process.listenerCount("SIGINT")]).toEqual(before);
  });

  it("waits for a database that comes up after it starts", async () => {
    const { url } = await database();
    // A proxy that is not listening yet stands for a database that is not up yet.
    const proxy = await startTcpProxy(new URL(url), { listening: false });
    cleanups.push(() => proxy.close());
    const service = await createService({
      name: "late",
      config: EchoConfig,
      database: { migrations: directory },
      env: env(proxy.via(url)),
    });
    cleanups.push(() => service.stop());
    const starting = service.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.restore();
    // Well inside the 60 s it would wait at most, however busy the machine.
    const { opsPort } = await within(starting, 30_000);
    expect((await get(opsPort, "/readyz")).status).toBe(200);
  });

  it("fails start at once when a migration fails, whatever the file is called", async () => {
    const broken = await mkdtemp(join(tmpdir(), "tessera-service-broken-"));
    cleanups.push(() => rm(broken, { recursive: true, force: true }));
    await writeFile(
      join(broken, "001_connect_accounts.sql"),
      "ALTER TABLE missing_timeout ADD COLUMN x int;",
    );
    const service = await echoService({}, broken);
    const started = Date.now();
    await expect(service.start()).rejects.toThrow("migration 001_connect_accounts failed");
    // Taken for an unreachable database, it would retry for 60 s; a busy machine takes a few at most.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("throws a ConfigError naming a missing variable when given an environment", async () => {
    const error: unknown = await createService({
      name: "echo",
      config: EchoConfig,
      database: { migrations: directory },
      env: { LOG_LEVEL: "silent" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["DATABASE_URL"]);
    expect((error as ConfigError).message).toContain("DATABASE_URL: is required");
  });

  it("throws a ConfigError naming a variable with a bad value", async () => {
    const error: unknown = await createService({
      name: "echo",
      config: EchoConfig,
      env: env("postgres://x", { GRPC_PORT: "http" }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["GRPC_PORT"]);
  });

  it("reads DATABASE_URL itself when the service has a database, with the service's own variables", async () => {
    const error: unknown = await createService({
      name: "echo",
      config: RpcServiceConfig,
      database: { migrations: directory },
      env: { LOG_LEVEL: "silent", GRPC_PORT: "http", EVENTS_TRANSPORT: "kafka" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["GRPC_PORT", "DATABASE_URL", "KAFKA_BROKERS"]);
  });

  it("has a database without migrations of its own: the kit's tables only", async () => {
    const { url } = await database();
    const service = await createService({
      name: "plain",
      config: RpcServiceConfig,
      database: {},
      env: env(url),
    });
    cleanups.push(() => service.stop());
    const { opsPort } = await service.start();
    expect((await get(opsPort, "/readyz")).status).toBe(200);
    const { rows } = await service.db.query<{ name: string }>("SELECT to_regclass('outbox')::text AS name");
    expect(rows[0]?.name).toBe("outbox");
  });

  it("has no database unless asked, and serves only its ops port when it serves no RPC", async () => {
    const service = await createService({
      name: "edge",
      config: RpcServiceConfig,
      env: { LOG_LEVEL: "silent" },
    });
    cleanups.push(() => service.stop());
    expect(() => service.db).toThrow("edge was created without a database");
    const { rpcPort, opsPort } = await service.start();
    expect(rpcPort).toBe(0);
    const response = await get(opsPort, "/readyz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready", ready: true, checks: {} });
  });
});
