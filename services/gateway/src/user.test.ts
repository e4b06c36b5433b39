import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { describe, expect, it, onTestFinished } from "vitest";
import { createLogger } from "@tessera/kit";
import { createAccessTokenVerifier } from "./access-token.ts";
import { requireDeclaredAccess } from "./route-access.ts";
import { appPerTest, type TestApp } from "./testing/test-app.ts";
import { alice } from "./testing/users.ts";
import { authenticateCaller, callerOf, requireAdmin, userOf } from "./user.ts";

const productId = "01970000-0000-7000-8000-000000000001";
const orderId = "01970000-0000-7000-8000-00000000b001";

const start = appPerTest();

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

/**
 * An app with one test-only route that needs the admin role (the API has none yet), guarded by the
 * gateway's own access hooks and token verifier, trusting the file's test issuer.
 */
async function startAdminApp(test: TestApp): Promise<FastifyInstance> {
  const app = Fastify();
  const { issuer, audience, jwksUrl } = test.issuer;
  const verify = createAccessTokenVerifier({ issuer, audience, jwksUrl });
  const log = createLogger({ service: "gateway", level: "silent" });
  requireDeclaredAccess(app, { authenticate: authenticateCaller({ verify, log }), requireAdmin });
  app.get("/api/v1/test-admin", { config: { access: "admin" } }, (request) => ({
    subject: callerOf(request).subject,
  }));
  onTestFinished(() => app.close());
  await app.ready();
  return app;
}

describe("routes that need a caller", () => {
  it.each(personalRoutes)(
    "refuse $method $url without a token: 401 and the bare challenge",
    async (route) => {
      const test = await start();
      const response = await test.app.inject({ ...route, headers: { "idempotency-key": "k-1" } });
      expect(response.statusCode).toBe(401);
      expect(response.headers["www-authenticate"]).toBe('Bearer realm="tessera"');
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        type: "urn:tessera:problem:unauthenticated",
        detail: expect.stringMatching(/Authorization: Bearer/),
      });
      expect(callsOf(test)).toEqual([]);
    },
  );

  it.each([
    ["another scheme", "Basic YWxpY2U6c2VjcmV0", /must use the Bearer scheme/],
    ["an empty bearer token", "Bearer ", /empty or not a token/],
    ["a bearer token with a space in it", "Bearer abc def", /empty or not a token/],
  ])("refuse %s with a 401 and the bare challenge", async (_name, authorization, detail) => {
    const test = await start();
    const response = await test.app.inject({ url: "/api/v1/cart", headers: { authorization } });
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="tessera"');
    expect(response.json<{ detail: string }>().detail).toMatch(detail);
  });

  it("answer 401 before looking at the body, so a stranger learns nothing of its rules", async () => {
    const test = await start();
    const response = await test.app.inject({
      method: "POST",
      url: "/api/v1/cart/items",
      payload: { productId: "nope", quantity: 1000 },
    });
    expect(response.statusCode).toBe(401);
  });

  it("mark personal answers, refusals included, as not to be cached", async () => {
    const test = await start();
    const ok = await test.app.inject({ url: "/api/v1/cart", headers: await test.bearer(alice) });
    const refused = await test.app.inject({ url: "/api/v1/orders" });
    expect(ok.headers["cache-control"]).toBe("no-store");
    expect(refused.headers["cache-control"]).toBe("no-store");
  });

  it("call the services with the caller's token, and public routes with none", async () => {
    const test = await start();
    const headers = await test.bearer(alice);
    await test.app.inject({ url: "/api/v1/cart", headers });
    await test.app.inject({ url: "/api/v1/notifications", headers });
    await test.app.inject({ url: `/api/v1/products/${productId}`, headers });
    const token = headers.authorization.slice("Bearer ".length);
    for (const call of [...test.cart.calls, ...test.notifications.calls]) {
      expect(call.context).toMatchObject({ principal: { subject: alice, roles: ["customer"], token } });
    }
    expect(test.fake.calls).toHaveLength(1);
    expect(test.fake.calls[0]?.context).not.toHaveProperty("principal");
  });
});

describe("routes that need the admin role", () => {
  it("refuse a customer with a 403 naming the role", async () => {
    const test = await start();
    const app = await startAdminApp(test);
    const response = await app.inject({ url: "/api/v1/test-admin", headers: await test.bearer(alice) });
    expect(response.statusCode).toBe(403);
    expect(response.headers["www-authenticate"]).toBe(
      'Bearer realm="tessera", error="insufficient_scope", error_description="This needs the admin role."',
    );
    expect(response.json()).toMatchObject({ type: "urn:tessera:problem:permission-denied" });
  });

  it("let an admin in, and refuse a caller without a token with a 401", async () => {
    const test = await start();
    const app = await startAdminApp(test);
    const admin = await app.inject({
      url: "/api/v1/test-admin",
      headers: await test.bearer(alice, ["customer", "admin"]),
    });
    expect(admin.statusCode).toBe(200);
    expect(admin.json()).toEqual({ subject: alice });
    expect((await app.inject({ url: "/api/v1/test-admin" })).statusCode).toBe(401);
  });
});

describe("public routes", () => {
  it("serve products with or without a token, even a bad one", async () => {
    const test = await start();
    expect((await test.app.inject({ url: "/api/v1/products" })).statusCode).toBe(200);
    for (const authorization of [(await test.bearer(alice)).authorization, "Bearer nonsense"]) {
      const response = await test.app.inject({
        url: `/api/v1/products/${productId}`,
        headers: { authorization },
      });
      expect(response.statusCode).toBe(200);
    }
  });
});

it("treats reading the caller of a route without the hook as a wiring bug", () => {
  const request = { routeOptions: { url: "/api/v1/somewhere" } } as FastifyRequest;
  expect(() => userOf(request)).toThrow(/\/api\/v1\/somewhere has no caller hook/);
});
