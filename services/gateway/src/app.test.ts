import { describe, expect, it } from "vitest";
import { ServiceError } from "@tessera/kit";
import { appPerTest } from "./testing/test-app.ts";
import { alice } from "./testing/users.ts";

const productId = "01970000-0000-7000-8000-000000000001";
const generatedId = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const start = appPerTest();

describe("errors", () => {
  it("maps the catalog's not_found to a 404 problem with its message", async () => {
    const { app } = await start();
    const id = "01970000-0000-7000-8000-0000000000ff";
    const response = await app.inject({ url: `/api/v1/products/${id}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      type: "urn:tessera:problem:not-found",
      title: "Not found",
      status: 404,
      detail: `product ${id} not found`,
      instance: `/api/v1/products/${id}`,
      requestId: response.headers["x-request-id"],
    });
  });

  it("maps the catalog's invalid_argument to a 400 problem", async () => {
    const { app, fake } = await start();
    fake.failWith(new ServiceError("invalid_argument", "page_token is malformed or expired"));
    const response = await app.inject({ url: "/api/v1/products?page_token=zzz" });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ detail: "page_token is malformed or expired" });
  });

  it.each([
    ["unavailable", 503],
    ["deadline_exceeded", 504],
  ] as const)("maps %s to %i with Retry-After and no internal detail", async (code, status) => {
    const { app, fake, logs } = await start();
    fake.failWith(new ServiceError(code, "connect ECONNREFUSED 10.1.2.3:50051"));
    const response = await app.inject({ url: "/api/v1/products" });
    expect(response.statusCode).toBe(status);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.body).not.toContain("10.1.2.3");
    expect(response.json()).toMatchObject({
      status,
      type: `urn:tessera:problem:${code.replace("_", "-")}`,
    });
    const line = logs.find((l) => l["message"] === "request failed: a dependency is unavailable");
    expect(line).toMatchObject({ "http.request.id": response.headers["x-request-id"] });
  });

  it("answers an unexpected error with a bare 500 and logs its cause", async () => {
    const { app, fake, logs } = await start();
    fake.failWith(new TypeError("cannot read secret of undefined at /srv/app.ts:12"));
    const response = await app.inject({ url: "/api/v1/products" });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ title: "Internal error", detail: "internal error" });
    expect(response.body).not.toMatch(/secret|app\.ts|TypeError/);
    const line = logs.find((l) => l["message"] === "request failed");
    expect(line).toMatchObject({
      "log.level": "error",
      "http.request.id": response.headers["x-request-id"],
      error: { message: "cannot read secret of undefined at /srv/app.ts:12" },
    });
  });

  it("answers a catalog that does not answer in time with 504 once the request's time is up", async () => {
    const { app, fake } = await start({ env: { GATEWAY_REQUEST_TIMEOUT_MS: "150" } });
    fake.failWith("hang");
    const started = performance.now();
    const response = await app.inject({ url: `/api/v1/products/${productId}` });
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({ type: "urn:tessera:problem:deadline-exceeded" });
    expect(response.headers["retry-after"]).toBe("5");
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("answers an unknown route with a 404 problem", async () => {
    const { app } = await start();
    const response = await app.inject({ url: "/api/v2/nothing?x=1" });
    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 404, instance: "/api/v2/nothing" });
  });

  it("answers URLs over 8 KiB with a 414 problem", async () => {
    const { app, fake } = await start();
    const response = await app.inject({ url: `/api/v1/products?x=${"a".repeat(100_000)}` });
    expect(response.statusCode).toBe(414);
    expect(response.json()).toMatchObject({ status: 414, title: "URI Too Long" });
    expect(fake.calls).toEqual([]);
  });

  it("answers an overlong or badly encoded path segment with a problem", async () => {
    const { app } = await start();
    const long = await app.inject({ url: `/api/v1/products/${"a".repeat(200)}` });
    expect(long.statusCode).toBe(414);
    expect(long.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const bad = await app.inject({ url: "/api/v1/products/%E0%A4%A" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ status: 400, requestId: bad.headers["x-request-id"] });
  });
});

describe("request ids and context", () => {
  it("generates a random UUID request id and echoes it in header and problem body", async () => {
    const { app } = await start();
    const ok = await app.inject({ url: "/" });
    expect(ok.headers["x-request-id"]).toMatch(generatedId);
    const problem = await app.inject({ url: "/nothing" });
    expect(problem.headers["x-request-id"]).toMatch(generatedId);
    expect(problem.json<{ requestId: string }>().requestId).toBe(problem.headers["x-request-id"]);
  });

  it("keeps a sane incoming X-Request-Id and replaces anything else", async () => {
    const { app } = await start();
    const kept = await app.inject({ url: "/nothing", headers: { "x-request-id": "lb:1.req-42_a" } });
    expect(kept.headers["x-request-id"]).toBe("lb:1.req-42_a");
    expect(kept.json<{ requestId: string }>().requestId).toBe("lb:1.req-42_a");
    for (const insane of ["a/b", "a b", "x".repeat(129), "<x>"]) {
      const replaced = await app.inject({ url: "/", headers: { "x-request-id": insane } });
      expect(replaced.headers["x-request-id"]).toMatch(generatedId);
    }
  });

  it("calls the catalog inside the request's context: id, trace and deadline", async () => {
    const { app, fake } = await start({ env: { GATEWAY_REQUEST_TIMEOUT_MS: "4000" } });
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const before = Date.now();
    const response = await app.inject({
      url: "/api/v1/products",
      headers: { "x-request-id": "req-1", traceparent },
    });
    expect(response.statusCode).toBe(200);
    const context = fake.calls[0]?.context;
    expect(context).toMatchObject({ requestId: "req-1", traceparent });
    expect(context?.deadline).toBeGreaterThanOrEqual(before + 4000);
    expect(context?.deadline).toBeLessThanOrEqual(Date.now() + 4000);
  });

  it("starts a new trace when the incoming traceparent is missing or malformed", async () => {
    const { app, fake } = await start();
    await app.inject({
      url: "/api/v1/products",
      headers: { traceparent: "00-00000000000000000000000000000000-b7ad6b7169203331-01" },
    });
    await app.inject({ url: "/api/v1/products" });
    const [first, second] = fake.calls.map((call) => call.context?.traceparent);
    expect(first).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(first).not.toContain("0".repeat(32));
    expect(second).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(second).not.toBe(first);
  });
});

describe("edge concerns", () => {
  it("serves the index at /", async () => {
    const { app } = await start();
    const response = await app.inject({ url: "/" });
    expect(response.json()).toEqual({ name: "Tessera", api: "/api/v1", docs: "/api/docs" });
  });

  it.each([
    ["DELETE", "/api/v1/products", "GET, HEAD"],
    ["PUT", "/api/v1/products/01970000-0000-7000-8000-000000000001", "GET, HEAD"],
    ["POST", "/api/v1/cart", "DELETE, GET, HEAD"],
    ["GET", "/api/v1/orders/01970000-0000-7000-8000-000000000001/cancel", "POST"],
  ] as const)(
    "answers %s %s, a path served with other methods, 405 with Allow: %s",
    async (method, url, allow) => {
      const { app } = await start();
      const response = await app.inject({ method, url });
      expect(response.statusCode).toBe(405);
      expect(response.headers["allow"]).toBe(allow);
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 405, type: "urn:tessera:problem:method-not-allowed" });
    },
  );

  it("answers an unknown path 404, whatever the method", async () => {
    const { app } = await start();
    for (const [method, url] of [
      ["DELETE", "/nothing"],
      ["GET", "/api/v1/product"],
      ["POST", "/api/v1/products/01970000-0000-7000-8000-000000000001/extra"],
    ] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode).toBe(404);
      expect(response.headers["allow"]).toBeUndefined();
    }
  });

  it("sets security headers on responses and problems", async () => {
    const { app } = await start();
    for (const url of ["/", "/nothing", "/api/v1/products?page_size=0"]) {
      const { headers } = await app.inject({ url });
      expect(headers["content-security-policy"]).toContain("default-src 'self'");
      expect(headers["content-security-policy"]).not.toContain("upgrade-insecure-requests");
      expect(headers["x-content-type-options"]).toBe("nosniff");
      expect(headers["x-frame-options"]).toBe("SAMEORIGIN");
      expect(headers["referrer-policy"]).toBe("no-referrer");
    }
  });

  it("sends no CORS headers unless origins are configured", async () => {
    const { app } = await start();
    const response = await app.inject({
      url: "/api/v1/products",
      headers: { origin: "https://evil.example" },
    });
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("allows the configured CORS origins only", async () => {
    const { app } = await start({ env: { CORS_ORIGINS: "https://shop.example,http://localhost:5173" } });
    const preflight = await app.inject({
      method: "OPTIONS",
      url: "/api/v1/products",
      headers: { origin: "https://shop.example", "access-control-request-method": "GET" },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("https://shop.example");
    const simple = await app.inject({
      url: "/api/v1/products",
      headers: { origin: "http://localhost:5173" },
    });
    expect(simple.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(simple.headers["access-control-expose-headers"]).toContain("x-request-id");
    const other = await app.inject({ url: "/api/v1/products", headers: { origin: "https://evil.example" } });
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("lets configured origins check out: POST with a token and an idempotency key, Location readable", async () => {
    const test = await start({ env: { CORS_ORIGINS: "https://shop.example" } });
    const preflight = await test.app.inject({
      method: "OPTIONS",
      url: "/api/v1/checkout",
      headers: {
        origin: "https://shop.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,idempotency-key",
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers["access-control-allow-methods"]).toContain("POST");
    const allowed = String(preflight.headers["access-control-allow-headers"]).split(/, ?/);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "idempotency-key"]));
    expect(allowed).not.toContain("cookie");
    const cart = await test.app.inject({
      url: "/api/v1/cart",
      headers: { origin: "https://shop.example", ...(await test.bearer(alice)) },
    });
    expect(cart.statusCode).toBe(200);
    const exposed = String(cart.headers["access-control-expose-headers"]);
    for (const header of ["location", "www-authenticate", "retry-after", "ratelimit-remaining"]) {
      expect(exposed).toContain(header);
    }
  });

  it("records request durations by route pattern, method and status", async () => {
    const { app, metrics } = await start();
    await app.inject({ url: `/api/v1/products/${productId}` });
    await app.inject({ url: "/api/v1/products/01970000-0000-7000-8000-0000000000ff" });
    await app.inject({ url: "/no/such/route/1234" });
    const { values } = await metrics.httpServer.get();
    const counted = values
      .filter((v) => v.metricName === "http_server_duration_seconds_count")
      .map((v) => ({ ...v.labels, count: v.value }));
    expect(counted).toEqual(
      expect.arrayContaining([
        { method: "GET", route: "/api/v1/products/:id", status_code: "200", count: 1 },
        { method: "GET", route: "/api/v1/products/:id", status_code: "404", count: 1 },
        { method: "GET", route: "(unmatched)", status_code: "404", count: 1 },
      ]),
    );
    expect(counted).toHaveLength(3);
  });
});
