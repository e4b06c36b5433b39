import { afterEach, describe, expect, it } from "vitest";
import type { FastifyRequest } from "fastify";
import { buildTestApp, type TestApp } from "./testing/test-app.ts";
import { userOf } from "./user.ts";

const productId = "01970000-0000-7000-8000-000000000001";
const orderId = "01970000-0000-7000-8000-00000000b001";

let current: TestApp | undefined;
async function start(mode: "embedded" | "infra"): Promise<TestApp> {
  current = await buildTestApp({ env: { TESSERA_MODE: mode } });
  return current;
}
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

const personalRoutes = [
  { method: "GET", url: "/api/v1/cart" },
  { method: "POST", url: "/api/v1/cart/items", payload: { productId, quantity: 1 } },
  { method: "PUT", url: `/api/v1/cart/items/${productId}`, payload: { quantity: 2 } },
  { method: "DELETE", url: `/api/v1/cart/items/${productId}` },
  { method: "DELETE", url: "/api/v1/cart" },
  { method: "POST", url: "/api/v1/checkout", payload: { cardToken: "tok_visa" } },
  { method: "GET", url: "/api/v1/orders" },
  { method: "GET", url: `/api/v1/orders/${orderId}` },
  { method: "POST", url: `/api/v1/orders/${orderId}/cancel` },
  { method: "GET", url: "/api/v1/notifications" },
] as const;

function callsOf(test: TestApp) {
  return [...test.cart.calls, ...test.orders.calls, ...test.notifications.calls];
}

describe("the development user", () => {
  it.each(personalRoutes)(
    "refuses $method $url in infrastructure mode, even with the header, saying sign-in is coming",
    async (route) => {
      const test = await start("infra");
      const response = await test.app.inject({
        ...route,
        headers: { "x-tessera-user": "alice@example.com", "idempotency-key": "k-1" },
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers["www-authenticate"]).toBe('X-Tessera-User realm="tessera"');
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      const problem = response.json<{ type: string; detail: string }>();
      expect(problem.type).toBe("urn:tessera:problem:unauthenticated");
      expect(problem.detail).toMatch(/identity service/);
      expect(problem.detail).toMatch(/embedded mode/);
      expect(callsOf(test)).toEqual([]);
    },
  );

  it.each(personalRoutes)("refuses $method $url without X-Tessera-User in embedded mode", async (route) => {
    const test = await start("embedded");
    const response = await test.app.inject({ ...route, headers: { "idempotency-key": "k-1" } });
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('X-Tessera-User realm="tessera"');
    expect(response.json<{ detail: string }>().detail).toMatch(/X-Tessera-User.*identity service/);
    expect(callsOf(test)).toEqual([]);
  });

  it.each([
    ["empty", ""],
    ["with a space", "alice smith"],
    ["with a slash", "a/b"],
    ["with markup", "<script>"],
    ["of 129 characters", "u".repeat(129)],
    ["repeated", ["alice", "bob"]],
  ])("refuses a user id %s with a 401 explaining the format", async (_name, value) => {
    const test = await start("embedded");
    const response = await test.app.inject({ url: "/api/v1/cart", headers: { "x-tessera-user": value } });
    expect(response.statusCode).toBe(401);
    expect(response.json<{ detail: string }>().detail).toMatch(/1 to 128/);
    expect(callsOf(test)).toEqual([]);
  });

  it.each(["alice@example.com", "user:42", "01970000-0000-7000-8000-0000000000aa", "a", "u".repeat(128)])(
    "accepts the user id %s in embedded mode and acts for that user",
    async (user) => {
      const test = await start("embedded");
      const response = await test.app.inject({ url: "/api/v1/cart", headers: { "x-tessera-user": user } });
      expect(response.statusCode).toBe(200);
      expect(test.cart.calls.map((call) => call.request)).toEqual([{ userId: user }]);
    },
  );

  it("answers 401 before looking at the body, so a stranger learns nothing of its rules", async () => {
    const test = await start("embedded");
    const response = await test.app.inject({
      method: "POST",
      url: "/api/v1/cart/items",
      payload: { productId: "nope", quantity: 1000 },
    });
    expect(response.statusCode).toBe(401);
  });

  it("keeps products public in both modes, with or without a user", async () => {
    for (const mode of ["infra", "embedded"] as const) {
      const test = await start(mode);
      expect((await test.app.inject({ url: "/api/v1/products" })).statusCode).toBe(200);
      const withUser = await test.app.inject({
        url: `/api/v1/products/${productId}`,
        headers: { "x-tessera-user": "alice" },
      });
      expect(withUser.statusCode).toBe(200);
      await test.app.close();
    }
  });

  it("marks personal answers, refusals included, as not to be cached", async () => {
    const test = await start("embedded");
    const ok = await test.app.inject({ url: "/api/v1/cart", headers: { "x-tessera-user": "alice" } });
    const refused = await test.app.inject({ url: "/api/v1/orders" });
    expect(ok.headers["cache-control"]).toBe("no-store");
    expect(refused.headers["cache-control"]).toBe("no-store");
  });

  it("treats reading the user of a route without the hook as a wiring bug", () => {
    const request = { routeOptions: { url: "/api/v1/somewhere" } } as FastifyRequest;
    expect(() => userOf(request)).toThrow(/\/api\/v1\/somewhere has no user hook/);
  });
});
