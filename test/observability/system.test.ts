import { readFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { gatherTrace } from "@tessera/trace";
import { drawWaterfall } from "@tessera/trace/waterfall";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cards,
  checkoutSteps,
  startCheckoutSystem,
  type CheckoutSystem,
} from "../support/checkout-system.ts";
import { startOtlpReceiver, type OtlpReceiver } from "../support/otlp-receiver.ts";
import { waitUntil } from "../support/polling.ts";
import { startPrometheus, type PrometheusServer } from "../support/prometheus-server.ts";
import { dashboardQueries, recordedNames, seriesOf } from "../support/promql-series.ts";

// One system exporting OTLP to a receiver here, one checkout through the gateway, then what an
// operator sees of it: the trace (OTLP and `npm run trace`), Prometheus, the dashboards, the metrics table.

const root = new URL("../../", import.meta.url).pathname;
const rules = ["recording.yml", "alerts.yml"].map((file) => `${root}deploy/prometheus/rules/${file}`);

describe("observability of a checkout", () => {
  let receiver: OtlpReceiver;
  let running: CheckoutSystem | undefined;
  let prometheus: PrometheusServer | undefined;
  let opsUrls: string[];
  let orderId: string;
  const { addToCart, checkout, settled } = checkoutSteps(() => running!);

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    running = await startCheckoutSystem({
      name: "embedded, exporting OTLP",
      prepare: () =>
        Promise.resolve({
          env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.endpoint },
          cleanUp: () => Promise.resolve(),
        }),
    });
    opsUrls = [...running.system.statuses.values()].map((status) => `http://127.0.0.1:${status.opsPort}`);
    const user = `olive-${randomUUID().slice(0, 8)}`;
    await addToCart(user, running.products[0]!, 1);
    const placed = await checkout(user, randomUUID(), cards.approve);
    expect(placed.status).toBe(201);
    orderId = placed.body.id;
    expect((await settled(user, orderId)).status).toBe("confirmed");
  }, 240_000);

  afterAll(async () => {
    await prometheus?.stop();
    await running?.stop();
    await receiver.close();
  }, 60_000);

  /** The checkout's trace as the ops ports have it, once it reached notifications and cart. */
  const checkoutTrace = () =>
    waitUntil(
      "the checkout's trace to reach every service",
      async () => {
        const found = await gatherTrace(opsUrls, orderId);
        const services = new Set(found.spans.map((span) => span.service));
        const all = ["gateway", "orders", "inventory", "payments", "notifications", "cart"];
        return all.every((name) => services.has(name)) ? found : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

  it("is one connected trace over OTLP, from the gateway through every service, linked through events", async () => {
    const { traceId } = await checkoutTrace();
    const spans = await waitUntil(
      "the services to export the trace",
      () => {
        const ofTrace = receiver.spans.filter((span) => span.traceId === traceId);
        const services = new Set(ofTrace.map((span) => span.service));
        return services.size >= 6 &&
          ofTrace.some((s) => s.name.startsWith("process tessera.orders.v1.OrderConfirmed"))
          ? ofTrace
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(receiver.rejected).toEqual([]);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const roots = spans.filter((span) => !span.parentSpanId);
    expect(roots.map((span) => `${span.service} ${span.name} ${span.kind}`)).toEqual([
      "gateway POST /api/v1/checkout SPAN_KIND_SERVER",
    ]);
    // Every other span's parent is in the trace (no orphan, no second trace).
    for (const span of spans)
      if (span.parentSpanId) expect(byId.has(span.parentSpanId), span.name).toBe(true);
    // Events: a consumer span's parent is the producer span of another service that published it.
    const consumed = spans.filter((span) => span.kind === "SPAN_KIND_CONSUMER");
    expect(consumed.length).toBeGreaterThanOrEqual(6);
    for (const span of consumed) {
      const parent = byId.get(span.parentSpanId)!;
      expect(parent.kind).toBe("SPAN_KIND_PRODUCER");
      expect(parent.name).toContain(span.name.replace(/^process /, ""));
    }
    const services = new Set(consumed.map((span) => span.service));
    expect([...services].sort()).toEqual(["cart", "inventory", "notifications", "orders", "payments"]);
  });

  it("is drawn as a waterfall from the services' span buffers, found by its order id", async () => {
    const { spans, unreachable } = await checkoutTrace();
    expect(unreachable).toEqual([]);
    const drawn = drawWaterfall(spans);
    expect(drawn.split("\n")[0]).toMatch(/^trace [0-9a-f]{32}: \d+ spans, 7 services, [\d.]+ ms$/);
    expect(drawn).toMatch(/^gateway +POST \/api\/v1\/checkout \(server\) +0\.00 ms/m);
    expect(drawn).toMatch(/^orders +.*OrdersService\/PlaceOrder \(server\)/m);
    expect(drawn).toMatch(/^notifications +.*process tessera\.orders\.v1\.OrderConfirmed \(consumer\)/m);
  });

  it("is scraped by Prometheus: every target up, RED series with samples, recording rules evaluated", async () => {
    prometheus = await startPrometheus(
      opsUrls.map((url) => url.replace("http://", "")),
      `${root}deploy/prometheus/rules/*.yml`,
    );
    const server = prometheus;
    await waitUntil(
      "every target to be up",
      async () => {
        const targets = await server.targets();
        return targets.length === opsUrls.length && targets.every((t) => t.health === "up")
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const samples = (expr: string) =>
      waitUntil(expr, async () => ((await server.query(expr)).length > 0 ? server.query(expr) : undefined), {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    const served = await samples('rpc_server_duration_seconds_count{method="PlaceOrder", code="OK"} > 0');
    expect(served[0]?.metric["service_name"]).toBe("orders");
    await samples('http_server_duration_seconds_count{route="/api/v1/checkout", status_code="201"} > 0');
    await samples('orders_finished_total{status="confirmed"} > 0');
    await samples("service_name:rpc_server_requests:rate5m");
    const up = await server.query('up{job="tessera"} == 1');
    expect(up).toHaveLength(opsUrls.length);
  }, 150_000);

  it("has dashboards whose every query parses and names only series the services export", async () => {
    const exported = await exportedFamilies(opsUrls);
    const known = new Set([
      ...exported.keys(),
      ...[...exported]
        .filter(([, type]) => type === "histogram")
        .flatMap(([name]) => ["_bucket", "_count", "_sum"].map((s) => name + s)),
      ...(await recordedNames(rules)),
      "up",
    ]);
    const queries = await dashboardQueries(`${root}deploy/grafana/dashboards`);
    expect(queries.length).toBeGreaterThan(25);
    expect(prometheus, "the Prometheus test ran first").toBeDefined();
    for (const { dashboard, expr } of queries) {
      for (const name of seriesOf(expr)) expect(known.has(name), `${dashboard}: ${name}`).toBe(true);
      // Prometheus itself accepts it too (Grafana's $service filled in).
      await prometheus!.query(expr.replaceAll("$service", "orders"));
    }
  });

  it("exports exactly the metric families docs/metrics.md documents, with their types", async () => {
    const exported = await exportedFamilies(opsUrls);
    const table = await readFile(`${root}docs/metrics.md`, "utf8");
    const documented = new Map(
      [...table.matchAll(/^\| `([a-z_]+)` +\| (\w+) +\|/gm)].map((match) => [match[1]!, match[2]!]),
    );
    const own = new Map([...exported].filter(([name]) => !/^(process|nodejs)_/.test(name)));
    expect(Object.fromEntries([...documented].sort())).toEqual(Object.fromEntries([...own].sort()));
  });
});

/** Metric family name → type, from `# TYPE` lines of every service's `/metrics`. */
async function exportedFamilies(opsUrls: readonly string[]): Promise<Map<string, string>> {
  const families = new Map<string, string>();
  for (const url of opsUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(name!, type!);
  }
  return families;
}
