import { EchoService } from "@tessera/contracts/testing/v1";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  cleanups,
  database,
  directory,
  EchoConfig,
  echoService,
  env,
  get,
  useEchoServices,
  within,
} from "./echo-service.fixture.ts";
import { createService } from "./service.ts";
import { RpcServiceConfig } from "./service-config.ts";
import { testIssuer } from "./test-issuer.ts";
import { startTcpProxy } from "./testing.ts";

useEchoServices();

describe("createService starting", () => {
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

  it("waits for a database that comes up after it starts", async () => {
    const { url } = await database();
    // A proxy that is not listening yet stands for a database that is not up yet.
    const proxy = await startTcpProxy(new URL(url), { listening: false });
    cleanups.push(() => proxy.close());
    const service = await createService({
      name: "late",
      config: EchoConfig,
      database: { migrations: directory },
      env: await env(proxy.via(url)),
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

  it("has a database without migrations of its own: the kit's tables only", async () => {
    const { url } = await database();
    const service = await createService({
      name: "plain",
      config: RpcServiceConfig,
      database: {},
      env: await env(url),
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
      env: { ...(await testIssuer()).env, LOG_LEVEL: "silent" },
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
