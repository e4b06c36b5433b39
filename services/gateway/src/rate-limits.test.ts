import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { waitFor } from "@tessera/kit/testing";
import { appPerTest, buildTestApp, type TestApp } from "./testing/test-app.ts";
import { alice, bob } from "./testing/users.ts";

const start = appPerTest();
const redisUrl = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";

const products = (test: TestApp, headers: Record<string, string> = {}) =>
  test.app.inject({ url: "/api/v1/products", headers });

/** A client address of its own for this test, through a trusted proxy's X-Forwarded-For. */
const someAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe("the per-address limit", () => {
  it("answers 429 with Retry-After and the RateLimit headers once an address is over it", async () => {
    const test = await start({ env: { RATE_LIMIT_IP_PER_MINUTE: "3" } });
    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const response = await products(test);
      expect(response.statusCode).toBe(200);
      expect(response.headers["ratelimit-limit"]).toBe("3");
      remaining.push(response.headers["ratelimit-remaining"]);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const refused = await products(test);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({
      type: "urn:tessera:problem:resource-exhausted",
      title: "Too many requests",
      detail: expect.stringMatching(/^Too many requests from this address: at most 3 a minute/),
    });
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers).toMatchObject({
      "ratelimit-limit": "3",
      "ratelimit-remaining": "0",
      "ratelimit-reset": String(retryAfter),
    });
    expect(test.fake.calls).toHaveLength(3);
  });

  it("counts each client address apart, as the trusted proxy names it", async () => {
    const test = await start({ env: { RATE_LIMIT_IP_PER_MINUTE: "1", GATEWAY_TRUST_PROXY: "1" } });
    const first = someAddress();
    const second = first.replace(/^10\./, "172.");
    expect((await products(test, { "x-forwarded-for": first })).statusCode).toBe(200);
    expect((await products(test, { "x-forwarded-for": first })).statusCode).toBe(429);
    expect((await products(test, { "x-forwarded-for": `${second}, ${first}` })).statusCode).toBe(429);
    expect((await products(test, { "x-forwarded-for": second })).statusCode).toBe(200);
  });

  it("cuts off a flood of bad tokens before they are looked at", async () => {
    const test = await start({ env: { RATE_LIMIT_IP_PER_MINUTE: "2" } });
    const bad = { authorization: "Bearer not.a.token" };
    expect((await test.app.inject({ url: "/api/v1/cart", headers: bad })).statusCode).toBe(401);
    expect((await test.app.inject({ url: "/api/v1/cart", headers: bad })).statusCode).toBe(401);
    expect((await test.app.inject({ url: "/api/v1/cart", headers: bad })).statusCode).toBe(429);
  });

  it("leaves the index and identity's pages alone", async () => {
    const test = await start({ env: { RATE_LIMIT_IP_PER_MINUTE: "1", IDENTITY_HTTP_ADDR: "127.0.0.1:1" } });
    for (let i = 0; i < 3; i++) {
      expect((await test.app.inject({ url: "/" })).statusCode).toBe(200);
      expect((await test.app.inject({ url: "/oidc/jwks" })).statusCode).toBe(503);
    }
  });
});

describe("the per-caller limit", () => {
  it("limits each signed-in caller apart, on the routes that need one, and shows the closer limit", async () => {
    const test = await start({ env: { RATE_LIMIT_USER_PER_MINUTE: "2" } });
    const asAlice = await test.bearer(alice);
    const first = await test.app.inject({ url: "/api/v1/cart", headers: asAlice });
    expect(first.headers).toMatchObject({ "ratelimit-limit": "2", "ratelimit-remaining": "1" });
    expect((await test.app.inject({ url: "/api/v1/orders", headers: asAlice })).statusCode).toBe(200);
    const refused = await test.app.inject({ url: "/api/v1/cart", headers: asAlice });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({
      detail: expect.stringMatching(/from this caller: at most 2 a minute/),
    });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect((await test.app.inject({ url: "/api/v1/cart", headers: await test.bearer(bob) })).statusCode).toBe(
      200,
    );
    expect((await products(test, asAlice)).statusCode).toBe(200);
  });
});

describe("counters in Redis", () => {
  it("are shared by every gateway", async () => {
    const env = { RATE_LIMIT_IP_PER_MINUTE: "3", GATEWAY_TRUST_PROXY: "1", REDIS_URL: redisUrl };
    const one = await start({ env });
    const other = await buildTestApp({ env, issuer: one.issuer });
    try {
      const headers = { "x-forwarded-for": someAddress() };
      // The first requests may pass before the connection is up: the limits fail open.
      await waitFor(
        "Redis to count",
        async () => (await products(one, headers)).headers["ratelimit-limit"] === "3",
      );
      const counted = Number((await products(one, headers)).headers["ratelimit-remaining"]);
      expect((await products(other, headers)).headers["ratelimit-remaining"]).toBe(String(counted - 1));
      const statuses = [];
      for (let i = 0; i < counted; i++) statuses.push((await products(other, headers)).statusCode);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await other.app.close();
    }
  });

  it("let requests through when Redis is unreachable, and say so once", async () => {
    const test = await start({ env: { RATE_LIMIT_IP_PER_MINUTE: "1", REDIS_URL: "redis://127.0.0.1:1" } });
    for (let i = 0; i < 3; i++) expect((await products(test)).statusCode).toBe(200);
    await waitFor("the warning", () =>
      Promise.resolve(test.logs.some((line) => String(line["message"]).includes("Redis is unreachable"))),
    );
    const warnings = test.logs.filter((line) => String(line["message"]).includes("Redis is unreachable"));
    expect(warnings).toHaveLength(1);
  });
});
