import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appPerTest } from "./testing/test-app.ts";

// `/oidc/*` proxied to identity, here a stand-in: a real HTTP server on a free port that records
// what reaches it and answers as told.

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const received: Received[] = [];
let answer: (response: ServerResponse) => void;
const identity = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const { method = "", url = "", headers } = request;
    received.push({ method, url, headers, body: Buffer.concat(chunks) });
    answer(response);
  });
});
let identityAddress: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => identity.listen(0, "127.0.0.1", resolve));
  identityAddress = `127.0.0.1:${(identity.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => identity.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  answer = (response) => response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
});

const start = appPerTest();
const startProxying = (env: Record<string, string> = {}) =>
  start({ env: { IDENTITY_HTTP_ADDR: identityAddress, ...env } });

describe("identity's pages and endpoints under /oidc", () => {
  it("reach identity at the same path and query, told who asked and how", async () => {
    const test = await startProxying();
    const query =
      "?response_type=code&client_id=tessera-web&scope=openid%20api&redirect_uri=http%3A%2F%2Fa%2Fcb";
    const response = await test.app.inject({
      url: `/oidc/auth${query}`,
      headers: { host: "shop.example:8080", cookie: "_session=s1" },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: "GET", url: `/oidc/auth${query}` });
    expect(received[0]?.headers).toMatchObject({
      "x-forwarded-proto": "http",
      "x-forwarded-host": "shop.example:8080",
      "x-forwarded-for": "127.0.0.1",
      cookie: "_session=s1",
    });
  });

  it("stream a sign-in form post through intact: over the API's body limit, not JSON, any text", async () => {
    const test = await startProxying();
    const base = await test.app.listen({ host: "127.0.0.1", port: 0 });
    const form = `email=alice%40example.com&password=${"p\u0001ss ".repeat(5_000)}&next=%2Fcart`;
    answer = (response) =>
      response
        .writeHead(303, { location: "/oidc/auth/abc", "set-cookie": "_interaction=; path=/oidc" })
        .end();
    const response = await fetch(`${base}/oidc/interaction/abc123/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic dGVzdDp0ZXN0" },
      body: form,
      redirect: "manual",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/oidc/auth/abc");
    expect(response.headers.get("set-cookie")).toBe("_interaction=; path=/oidc");
    expect(received[0]).toMatchObject({ method: "POST", url: "/oidc/interaction/abc123/login" });
    expect(received[0]?.headers).toMatchObject({
      "content-type": "application/x-www-form-urlencoded",
      authorization: "Basic dGVzdDp0ZXN0",
      "x-forwarded-for": "127.0.0.1",
    });
    expect(received[0]?.body.toString()).toBe(form);
    expect(Buffer.byteLength(form)).toBeGreaterThan(16 * 1024);
  });

  it("replace what a client claims in X-Forwarded-* unless it is a trusted proxy", async () => {
    const claims = {
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-host": "shop.example",
      "x-forwarded-proto": "https",
    };
    const direct = await startProxying();
    await direct.app.inject({ url: "/oidc/jwks", headers: { ...claims, host: "gateway.local" } });
    expect(received[0]?.headers).toMatchObject({
      "x-forwarded-for": "127.0.0.1",
      "x-forwarded-host": "gateway.local",
      "x-forwarded-proto": "http",
    });
    await direct.app.close();
    const behindIngress = await startProxying({ GATEWAY_TRUST_PROXY: "1" });
    await behindIngress.app.inject({ url: "/oidc/jwks", headers: { ...claims, forwarded: "for=6.6.6.6" } });
    expect(received[1]?.headers).toMatchObject(claims);
    expect(received[1]?.headers).not.toHaveProperty("forwarded");
  });

  it("pass identity's own headers on, without the API's security headers or rate limits", async () => {
    const test = await startProxying({ RATE_LIMIT_IP_PER_MINUTE: "1" });
    answer = (response) =>
      response
        .writeHead(200, {
          "content-type": "text/html",
          "content-security-policy": "default-src 'none'; form-action 'self' http://a",
        })
        .end("<p>sign in</p>");
    for (let i = 0; i < 3; i++) {
      const response = await test.app.inject({ url: "/oidc/interaction/abc123" });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe("<p>sign in</p>");
      expect(response.headers["content-security-policy"]).toBe(
        "default-src 'none'; form-action 'self' http://a",
      );
      expect(response.headers["ratelimit-limit"]).toBeUndefined();
    }
  });

  it("leave CORS to identity, even with the API's origins configured", async () => {
    const test = await startProxying({ CORS_ORIGINS: "https://shop.example" });
    answer = (response) =>
      response.writeHead(204, { "access-control-allow-origin": "https://shop.example" }).end();
    const preflight = await test.app.inject({
      method: "OPTIONS",
      url: "/oidc/token",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" },
    });
    expect(preflight.statusCode).toBe(204);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(["OPTIONS /oidc/token"]);
    expect(preflight.headers["access-control-allow-methods"]).toBeUndefined();
  });

  it("log the path only up to its first segment: interaction ids act as credentials", async () => {
    const test = await startProxying();
    await test.app.inject({ url: "/oidc/interaction/secret-uid-123/login?code=abc" });
    const line = test.logs.find((l) => l["message"] === "request completed");
    expect(line).toMatchObject({ "url.path": "/oidc/interaction", "http.route": "/oidc/*" });
    expect(JSON.stringify(test.logs)).not.toContain("secret-uid-123");
  });

  it("answer 503 with Retry-After when identity is down", async () => {
    const test = await start({ env: { IDENTITY_HTTP_ADDR: "127.0.0.1:1" } });
    const response = await test.app.inject({ url: "/oidc/.well-known/openid-configuration" });
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.json()).toMatchObject({ type: "urn:tessera:problem:unavailable" });
  });
});

describe("the discovery document at the root", () => {
  it("is identity's, at /oidc/.well-known/openid-configuration", async () => {
    const test = await startProxying();
    const response = await test.app.inject({ url: "/.well-known/openid-configuration" });
    expect(response.statusCode).toBe(200);
    expect(received.map((r) => r.url)).toEqual(["/oidc/.well-known/openid-configuration"]);
  });
});
