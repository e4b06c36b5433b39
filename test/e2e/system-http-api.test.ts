import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolatedEnv, systemProbes } from "../support/system-probes.ts";
import type { Problem, ProductJson, ProductPage } from "../support/system-probes.ts";
import { startTestSystem, type TestSystem } from "../support/system.ts";

// The whole system as `npm start` runs it, used over HTTP through its gateway: products, problems
// for bad input, the OpenAPI document and metrics.

describe("Tessera's HTTP API through the gateway", () => {
  let running: TestSystem | undefined;
  const { status, request } = systemProbes(() => running?.system);

  beforeAll(async () => {
    running = await startTestSystem({ name: "e2e-api", env: isolatedEnv });
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  it("serves the index at /", async () => {
    const { status: code, headers, body } = await request("/");
    expect(code).toBe(200);
    expect(body).toEqual({ name: "Tessera", api: "/api/v1", docs: "/api/docs" });
    expect(headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("finds the tents first when searching for 'tent'", async () => {
    const { status: code, body } = await request<ProductPage>("/api/v1/products?q=tent");
    expect(code).toBe(200);
    expect(body.products.length).toBeGreaterThanOrEqual(2);
    const firstTwo = body.products.slice(0, 2);
    expect(firstTwo.map((product) => product.sku).sort()).toEqual(["TENT-2P-ULTRA", "TENT-4P-FAMILY"]);
    for (const product of firstTwo) expect(product.categories).toContain("tents");
  });

  it("gets one product by id, with its price in integer minor units of USD", async () => {
    const { body: page } = await request<ProductPage>("/api/v1/products?page_size=5");
    const listed = page.products[4]!;
    const { status: code, body } = await request<ProductJson>(`/api/v1/products/${listed.id}`);
    expect(code).toBe(200);
    expect(body).toEqual(listed);
    expect(typeof body.price.amountMinor).toBe("number");
    expect(Number.isInteger(body.price.amountMinor)).toBe(true);
    expect(body.price.currencyCode).toBe("USD");
  });

  const unknownId = "01970000-0000-7000-8000-00000000dead";
  const badRequests: [string, string, number | number[]][] = [
    ["a malformed page token", "/api/v1/products?page_token=!!!", 400],
    ["a page token that is not ours", "/api/v1/products?page_token=e30", 400],
    ["a negative page size", "/api/v1/products?page_size=-1", 400],
    ["a page size past int32", "/api/v1/products?page_size=10000000000", 400],
    ["an unknown query parameter", "/api/v1/products?limit=5", 400],
    ["a page size that is not a number", "/api/v1/products?page_size=abc", 400],
    ["a fractional page size", "/api/v1/products?page_size=1.5", 400],
    ["a page size given twice", "/api/v1/products?page_size=1&page_size=2", 400],
    ["an empty query", "/api/v1/products?q=", 400],
    ["a query and a category", "/api/v1/products?q=tent&category=tents", 400],
    ["an unknown id", `/api/v1/products/${unknownId}`, 404],
    ["a malformed id", "/api/v1/products/not-a-uuid", 400],
    ["a badly encoded id", "/api/v1/products/%E0%A4%A", 400],
    ["an unknown route", "/api/v1/nothing-here", 404],
    ["a 100 kB query string", `/api/v1/products?q=${"tent+".repeat(20 * 1024)}`, [400, 414, 431]],
  ];

  it.each(badRequests)("answers %s with a clean 4xx problem", async (_, path, expected) => {
    const { status: code, headers, body } = await request<Problem>(path);
    expect(code).toSatisfy((actual: number) =>
      Array.isArray(expected) ? expected.includes(actual) : actual === expected,
    );
    expect(headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({
      status: code,
      type: expect.stringMatching(/^urn:tessera:problem:/),
      title: expect.any(String),
      detail: expect.stringMatching(/\w/),
      requestId: headers.get("x-request-id"),
    });
  });

  it("answers a POST with a JSON body to the read-only products API with a 4xx problem", async () => {
    const {
      status: code,
      headers,
      body,
    } = await request<Problem>("/api/v1/products", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: 42 }),
    });
    expect(code).toBeGreaterThanOrEqual(400);
    expect(code).toBeLessThan(500);
    expect(headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(body.requestId).toBe(headers.get("x-request-id"));
  });

  it("is still healthy after all that bad input, with no service restarted", async () => {
    const { status: code, body } = await request<ProductPage>("/api/v1/products?page_size=3");
    expect(code).toBe(200);
    expect(body.products).toHaveLength(3);
    const catalog = status("catalog");
    const ready = await fetch(`http://127.0.0.1:${catalog.opsPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
    for (const name of ["catalog", "gateway"])
      expect(status(name)).toMatchObject({ state: "ready", restarts: 0 });
  });

  it("publishes the OpenAPI document with the product paths", async () => {
    const { status: code, body } = await request<{ openapi: string; paths: Record<string, unknown> }>(
      "/api/openapi.json",
    );
    expect(code).toBe(200);
    expect(body.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/products", "/api/v1/products/{id}"]),
    );
  });

  it("exposes request metrics on the gateway's ops port", async () => {
    const response = await fetch(`http://127.0.0.1:${status("gateway").opsPort}/metrics`);
    expect(response.status).toBe(200);
    const metrics = await response.text();
    expect(metrics).toContain("http_server_duration_seconds");
    expect(metrics).toMatch(/http_server_duration_seconds_count\{[^}]*route="\/api\/v1\/products"/);
  });
});
