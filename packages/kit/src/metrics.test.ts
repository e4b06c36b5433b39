import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.ts";

/** The value of the one sample of `name` whose labels include `labels`; undefined when none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const matches = text
    .split("\n")
    .map((line) => /^(\w+)\{(.*)\} (\S+)$/.exec(line))
    .filter((match) => match?.[1] === name)
    .filter((match) => {
      const found = new Map<string, string>();
      for (const [, key = "", value = ""] of (match?.[2] ?? "").matchAll(/(\w+)="([^"]*)"/g))
        found.set(key, value);
      return Object.entries(labels).every(([key, value]) => found.get(key) === value);
    });
  expect(matches.length).toBeLessThanOrEqual(1);
  return matches[0] ? Number(matches[0][3]) : undefined;
}

describe("createMetrics", () => {
  it("exposes the process defaults labelled with the service name", async () => {
    const text = await createMetrics("catalog").registry.metrics();
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(text).toContain("nodejs_heap_size_used_bytes");
    expect(text).toMatch(/process_resident_memory_bytes\{service_name="catalog"\} \d+/);
  });

  it("declares the RPC and HTTP histograms before anything is observed", async () => {
    const text = await createMetrics("catalog").registry.metrics();
    expect(text).toContain("# TYPE rpc_server_duration_seconds histogram");
    expect(text).toContain("# TYPE rpc_client_duration_seconds histogram");
    expect(text).toContain("# TYPE http_server_duration_seconds histogram");
  });

  it("records observations into buckets, count and sum", async () => {
    const metrics = createMetrics("catalog");
    const labels = { service: "CatalogService", method: "GetProduct", code: "OK" };
    metrics.rpcServer.observe(labels, 0.002);
    metrics.rpcServer.observe(labels, 0.3);
    metrics.rpcClient.observe({ service: "InventoryService", method: "GetStock", code: "UNAVAILABLE" }, 0.05);
    metrics.httpServer.observe({ method: "GET", route: "/api/v1/products/:id", status_code: "200" }, 0.01);
    const text = await metrics.registry.metrics();
    const series = { ...labels, service_name: "catalog" };
    expect(sample(text, "rpc_server_duration_seconds_bucket", { ...series, le: "0.001" })).toBe(0);
    expect(sample(text, "rpc_server_duration_seconds_bucket", { ...series, le: "0.0025" })).toBe(1);
    expect(sample(text, "rpc_server_duration_seconds_bucket", { ...series, le: "0.25" })).toBe(1);
    expect(sample(text, "rpc_server_duration_seconds_bucket", { ...series, le: "0.5" })).toBe(2);
    expect(sample(text, "rpc_server_duration_seconds_bucket", { ...series, le: "+Inf" })).toBe(2);
    expect(sample(text, "rpc_server_duration_seconds_count", series)).toBe(2);
    expect(sample(text, "rpc_server_duration_seconds_sum", series)).toBeCloseTo(0.302);
    expect(
      sample(text, "rpc_client_duration_seconds_count", { code: "UNAVAILABLE", method: "GetStock" }),
    ).toBe(1);
    expect(sample(text, "http_server_duration_seconds_count", { route: "/api/v1/products/:id" })).toBe(1);
  });

  it("gives every service its own registry", async () => {
    const a = createMetrics("a");
    const b = createMetrics("b");
    a.rpcServer.observe({ service: "S", method: "M", code: "OK" }, 0.1);
    expect(await a.registry.metrics()).toContain("rpc_server_duration_seconds_count");
    expect(await b.registry.metrics()).not.toContain("rpc_server_duration_seconds_count");
    expect(await b.registry.metrics()).toContain('service_name="b"');
  });

  it("serves the Prometheus text content type", () => {
    expect(createMetrics("catalog").registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("makes a service's own counters on its registry, the same one for the same name", async () => {
    const metrics = createMetrics("orders");
    const transitions = metrics.counter("saga_transitions_total", "Saga transitions.", ["from", "to"]);
    transitions.inc({ from: "pending", to: "stock_reserved" });
    metrics
      .counter("saga_transitions_total", "Saga transitions.", ["from", "to"])
      .inc({ from: "pending", to: "stock_reserved" });
    expect(await metrics.registry.metrics()).toContain(
      'saga_transitions_total{from="pending",to="stock_reserved",service_name="orders"} 2',
    );
  });
});
