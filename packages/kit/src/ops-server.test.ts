import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { Gauge, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.ts";
import { createOpsServer, type ReadinessCheck } from "./ops-server.ts";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function start(readiness: ReadinessCheck, registry: Registry = createMetrics("catalog").registry) {
  const server = createOpsServer(registry, readiness);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${port}${path}`, init);
}

const ready: ReadinessCheck = () =>
  Promise.resolve({ ready: true, checks: { database: true, migrations: true } });

describe("ops server", () => {
  it("says the process is alive on /healthz", async () => {
    const request = await start(ready);
    const response = await request("/healthz");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers /healthz even while not ready", async () => {
    const request = await start(() => Promise.resolve({ ready: false, checks: { database: false } }));
    expect((await request("/healthz")).status).toBe(200);
  });

  it("reports ready with every check on /readyz", async () => {
    const request = await start(ready);
    const response = await request("/readyz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ready",
      ready: true,
      checks: { database: true, migrations: true },
    });
  });

  it("answers 503 naming the failing check while not ready", async () => {
    const request = await start(() =>
      Promise.resolve({ ready: false, checks: { database: true, migrations: false } }),
    );
    const response = await request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: "not ready",
      ready: false,
      checks: { database: true, migrations: false },
    });
  });

  it("answers 503 when the readiness check itself fails", async () => {
    const request = await start(() => Promise.reject(new Error("pool exploded")));
    const response = await request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready" });
  });

  it("asks the readiness check afresh on every request", async () => {
    let isReady = false;
    const request = await start(() => Promise.resolve({ ready: isReady, checks: { warm: isReady } }));
    expect((await request("/readyz")).status).toBe(503);
    isReady = true;
    expect((await request("/readyz")).status).toBe(200);
  });

  it("ignores the query string", async () => {
    const request = await start(ready);
    expect((await request("/readyz?verbose=1")).status).toBe(200);
    expect((await request("/healthz?")).status).toBe(200);
  });

  it("serves the registry in Prometheus text format on /metrics", async () => {
    const metrics = createMetrics("catalog");
    metrics.rpcServer.observe({ service: "CatalogService", method: "GetProduct", code: "OK" }, 0.01);
    const request = await start(ready, metrics.registry);
    const response = await request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(metrics.registry.contentType);
    const text = await response.text();
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(text).toMatch(/rpc_server_duration_seconds_count\{[^}]*method="GetProduct"[^}]*\} 1/);
  });

  it("answers 500 when collecting metrics fails", async () => {
    const registry = new Registry();
    new Gauge({
      name: "broken",
      help: "a collector that throws",
      registers: [registry],
      collect() {
        throw new Error("collector failed");
      },
    });
    const request = await start(ready, registry);
    const response = await request("/metrics");
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("metrics unavailable");
  });

  it("answers 404 for an unknown path", async () => {
    const request = await start(ready);
    for (const path of ["/", "/health", "/readyz/extra", "/metrics.txt"]) {
      const response = await request(path);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: "not found" });
    }
  });

  it("answers 405 to anything but GET and HEAD", async () => {
    let asked = 0;
    const request = await start(() => {
      asked++;
      return ready();
    });
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const response = await request("/readyz", { method });
      expect(response.status).toBe(405);
      expect(await response.json()).toEqual({ error: "method not allowed" });
    }
    expect(asked).toBe(0);
  });

  it("answers HEAD like GET without a body", async () => {
    const request = await start(ready);
    const response = await request("/healthz", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });
});
