import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceError } from "@tessera/kit";
import { appPerTest } from "./testing/test-app.ts";
import { alice } from "./testing/users.ts";

// No token, cookie or password reaches a log line, whatever becomes of the request.

const start = appPerTest();

// Identity's stand-in: answers every request after reading it.
const identity = createServer((request, response) => {
  request.resume();
  request.on("end", () =>
    response.writeHead(302, { location: "/oidc/auth/x", "set-cookie": "_session=s3cr3t-session" }).end(),
  );
});
let identityAddress: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => identity.listen(0, "127.0.0.1", resolve));
  identityAddress = `127.0.0.1:${(identity.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => identity.close(() => resolve())));

describe("the gateway's logs", () => {
  it("hold no token, cookie or password from requests that pass, fail or are refused", async () => {
    const test = await start({ env: { IDENTITY_HTTP_ADDR: identityAddress, LOG_LEVEL: "debug" } });
    const { authorization } = await test.bearer(alice);
    const token = authorization.slice("Bearer ".length);
    const expired = await test.issuer.sign({ exp: Math.floor(Date.now() / 1000) - 60 });
    const forged = `${token.slice(0, -8)}AAAAAAAA`;
    const cookie = "_session=c00kie-value";
    const password = "correct-horse-battery-staple";

    await test.app.inject({ url: "/api/v1/cart", headers: { authorization, cookie } });
    await test.app.inject({ url: "/api/v1/cart", headers: { authorization: `Bearer ${expired}` } });
    await test.app.inject({ url: "/api/v1/orders", headers: { authorization: `Bearer ${forged}` } });
    test.cart.failWith(new ServiceError("unavailable", "cart down"));
    await test.app.inject({ url: "/api/v1/cart", headers: { authorization } });
    test.cart.failWith(new TypeError("unexpected"));
    await test.app.inject({
      method: "DELETE",
      url: "/api/v1/cart",
      headers: { authorization, cookie, "if-match": "*" },
    });
    await test.app.inject({
      method: "POST",
      url: "/oidc/interaction/abc/login",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization, cookie },
      payload: `email=alice%40example.com&password=${password}`,
    });

    const written = JSON.stringify(test.logs);
    expect(test.logs.map((line) => line["message"])).toEqual(
      expect.arrayContaining(["request completed", "access token refused", "request failed"]),
    );
    for (const secret of [token, expired, forged, "c00kie-value", "s3cr3t-session", password]) {
      expect(written).not.toContain(secret);
    }
    for (const part of [...token.split("."), ...expired.split(".")]) expect(written).not.toContain(part);
  });

  it("censor the Authorization and Cookie headers wherever a line would carry them", async () => {
    const test = await start();
    const headers = { authorization: "Bearer abc.def.ghi", cookie: "_session=c00kie", "user-agent": "test" };
    test.app.log.warn(
      { req: { headers }, res: { headers: { "set-cookie": "_session=c00kie" } } },
      "a plugin's line",
    );
    test.app.log.warn({ headers }, "another plugin's line");
    const lines = test.logs.filter((line) => String(line["message"]).includes("plugin's line"));
    expect(lines).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toMatch(/abc\.def\.ghi|c00kie/);
    expect(lines[1]).toMatchObject({
      headers: { authorization: "[redacted]", cookie: "[redacted]", "user-agent": "test" },
    });
  });

  it("censor passwords and card data in bodies a line would carry", async () => {
    const test = await start();
    const body = {
      email: "a@example.com",
      password: "hunter2-secret",
      cardToken: "tok_visa_approve",
      cardNumber: "4242424242424242",
    };
    test.app.log.warn({ body, request: { body } }, "a body on a line");
    test.app.log.warn(body, "a body as the line");
    const lines = test.logs.filter((line) => String(line["message"]).startsWith("a body"));
    expect(lines).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toMatch(/hunter2-secret|tok_visa_approve|4242424242424242/);
    expect(lines[1]).toMatchObject({
      email: "a@example.com",
      password: "[redacted]",
      cardNumber: "[redacted]",
    });
  });

  it("write one ECS access line per request with the trace and span ids", async () => {
    const test = await start();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await test.app.inject({
      url: "/api/v1/products",
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    const access = test.logs.find((line) => line["message"] === "request completed");
    expect(access).toMatchObject({
      "http.request.method": "GET",
      "http.route": "/api/v1/products",
      "http.response.status_code": 200,
      "trace.id": traceId,
      "ecs.version": expect.any(String),
    });
    expect(access?.["span.id"]).toMatch(/^[0-9a-f]{16}$/);
  });
});
