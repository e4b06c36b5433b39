import { create, toBinary } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { Access } from "@tessera/contracts/options/v1";
import { GetOrderRequestSchema } from "@tessera/contracts/orders/v1";
import { clientSecret } from "@tessera/dev-runner/credentials";
import { clientCredentials, discover, signIn, SignInError } from "@tessera/identity/sign-in";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawGrpcClient, type RawStatus } from "../support/grpc-raw.ts";
import { isolatedEnv } from "../support/system-probes.ts";
import { startTestSystem, type TestSystem } from "../support/system.ts";
import { bearer, toolToken, userToken } from "../support/tokens.ts";
import {
  contractServices,
  decodeJwt,
  restrictedMethods,
  tokenCases,
  type Material,
  type RpcCase,
} from "./cases.ts";

// Issue 16's security corpus, over real HTTP and gRPC against one system started by the dev runner:
// refused tokens, who may read what, client credentials, the per-IP rate limit, and no secret in
// the logs. The rate limit runs last: every earlier /api request counts against it.

const IP_LIMIT = 40;

describe("Tessera's security corpus", () => {
  let running: TestSystem;
  /** Every secret this run used: none may appear in what the system printed. */
  const secrets = new Map<string, string>();
  const keep = (what: string, secret: string | undefined) => {
    if (secret) secrets.set(secret, what);
  };
  let material: Material;
  /** The restricted RPCs, each with the address of a service that serves it. */
  const rpcs: (RpcCase & { address: string })[] = [];

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(path, running.system.gatewayUrl), { headers });
    await response.arrayBuffer();
    return response;
  };

  beforeAll(async () => {
    running = await startTestSystem({
      name: "security",
      env: { ...isolatedEnv, RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT) },
      logLevel: "debug",
    });
    const gateway = running.system.gatewayUrl;
    const password = `${randomUUID()} is a long password`;
    keep("a user's password", password);
    const set = await signIn({
      issuer: new URL("/oidc", gateway).href,
      email: `sec-${randomUUID().slice(0, 8)}@tessera.test`,
      password,
      account: "register",
      scope: "openid api offline_access",
    });
    const jwks = (await (await fetch(new URL("/oidc/jwks", gateway))).json()) as Material["jwks"];
    material = { access: set.access_token, refresh: set.refresh_token, idToken: set.id_token, jwks };
    keep("an access token", set.access_token);
    keep("a refresh token", set.refresh_token);
    keep("an ID token", set.id_token);
    // Every password and client secret the runner made (admin, tools, services).
    const stored = JSON.parse(await readFile(join(running.dataDir, "credentials.json"), "utf8")) as unknown;
    const walk = (value: unknown, at: string): void => {
      if (typeof value === "string" && value.length >= 12) keep(`credentials.json ${at}`, value);
      else if (value && typeof value === "object")
        for (const [key, inner] of Object.entries(value)) walk(inner, `${at}.${key}`);
    };
    walk(stored, "");
    // Which running service serves which contract, by the standard health check.
    for (const [name, status] of running.system.statuses) {
      if (!status.port || name === "gateway") continue;
      const address = `127.0.0.1:${status.port}`;
      const probe = rawGrpcClient(address);
      try {
        for (const service of contractServices) {
          if (!(await probe.serves(service.typeName))) continue;
          for (const method of restrictedMethods(service, [Access.ADMIN, Access.SERVICE]))
            rpcs.push({ ...method, name: `${name} ${method.path}`, address });
        }
      } finally {
        probe.close();
      }
    }
  }, 240_000);

  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  describe("tokens at the gateway", () => {
    it.each(tokenCases)("refuses $name with 401 and a Bearer challenge", async (tokenCase) => {
      const skipped = tokenCase.skip?.(material);
      if (skipped) {
        console.warn(`skipped "${tokenCase.name}": ${skipped}`);
        return;
      }
      const authorization = tokenCase.authorization(material);
      if (authorization) keep(`the ${tokenCase.name} case's token`, authorization.slice("Bearer ".length));
      const response = await get("/api/v1/orders", authorization ? { authorization } : {});
      expect(response.status, tokenCase.name).toBe(401);
      const challenge = response.headers.get("www-authenticate") ?? "";
      expect(challenge, tokenCase.name).toMatch(/^Bearer realm="tessera"/);
      if (authorization) expect(challenge, tokenCase.name).toMatch(/error="invalid_token"/);
    });

    it("accepts the real access token those cases were made from", async () => {
      const response = await get("/api/v1/orders", { authorization: `Bearer ${material.access}` });
      expect(response.status, "the real token").toBe(200);
    });
  });

  describe("authorization", () => {
    let orderId: string;

    it("keeps one user's order from another over HTTP", async () => {
      const { api, products } = running;
      keep("alice's token", await userToken(running.system.gatewayUrl, "sec-alice"));
      keep("bob's token", await userToken(running.system.gatewayUrl, "sec-bob"));
      keep("alice's password", "sec-alice walks the Tessera test aisle");
      keep("bob's password", "sec-bob walks the Tessera test aisle");
      const added = await api("POST", "/api/v1/cart/items", {
        user: "sec-alice",
        body: { productId: products[0]!.id, quantity: 1 },
      });
      expect(added.status, "alice adds to her cart").toBe(200);
      const placed = await api<{ id: string }>("POST", "/api/v1/checkout", {
        user: "sec-alice",
        body: { cardToken: "tok_visa_approve" },
        headers: { "idempotency-key": randomUUID() },
      });
      expect(placed.status, "alice checks out").toBe(201);
      orderId = placed.body.id;
      const peek = await api("GET", `/api/v1/orders/${orderId}`, { user: "sec-bob" });
      expect(peek.status, "bob GETs alice's order").toBe(404);
      const cancel = await api("POST", `/api/v1/orders/${orderId}/cancel`, { user: "sec-bob" });
      expect([403, 404], "bob cancels alice's order").toContain(cancel.status);
      const list = await api<{ orders: { id: string }[] }>("GET", "/api/v1/orders", { user: "sec-bob" });
      expect(
        list.body.orders.map((o) => o.id),
        "bob's list of orders",
      ).not.toContain(orderId);
      const own = await api<{ status: string }>("GET", `/api/v1/orders/${orderId}`, { user: "sec-alice" });
      expect(own.status, "alice GETs her order").toBe(200);
      expect(own.body.status, "alice's order after bob's cancel").not.toBe("cancelled");
    });

    it("refuses a customer acting for another user over gRPC", async () => {
      const alice = await userToken(running.system.gatewayUrl, "sec-alice");
      const bob = rawGrpcClient(running.address("orders"), {
        token: await userToken(running.system.gatewayUrl, "sec-bob"),
      });
      try {
        const request = create(GetOrderRequestSchema, {
          userId: String(decodeJwt(alice).payload["sub"]),
          orderId,
        });
        const result = await bob.unary(
          "/tessera.orders.v1.OrdersService/GetOrder",
          Buffer.from(toBinary(GetOrderRequestSchema, request)),
        );
        expect(GrpcStatus[result.code], "bob's GetOrder with alice's user id").toBe("PERMISSION_DENIED");
      } finally {
        bob.close();
      }
    });

    it("found the restricted RPCs of every service in the descriptors", () => {
      const names = rpcs.map((rpc) => rpc.name);
      expect(rpcs.filter((rpc) => rpc.access === Access.ADMIN).length, names.join(", ")).toBeGreaterThan(10);
      expect(new Set(rpcs.map((rpc) => rpc.address)).size, names.join(", ")).toBeGreaterThanOrEqual(7);
    });

    const call = async (rpc: RpcCase & { address: string }, token?: string): Promise<RawStatus> => {
      const client = rawGrpcClient(rpc.address, token ? { token } : {});
      try {
        return rpc.streaming
          ? await client.streaming(rpc.path, Buffer.alloc(0), 2_000)
          : await client.unary(rpc.path, Buffer.alloc(0));
      } finally {
        client.close();
      }
    };

    it("answers a bare client (no token) on every admin and service RPC with UNAUTHENTICATED", async () => {
      for (const rpc of rpcs)
        expect(GrpcStatus[(await call(rpc)).code], `${rpc.name} without a token`).toBe("UNAUTHENTICATED");
    });

    it("answers a customer on every admin and service RPC with PERMISSION_DENIED", async () => {
      const token = await userToken(running.system.gatewayUrl, "sec-bob");
      for (const rpc of rpcs)
        expect(GrpcStatus[(await call(rpc, token)).code], `${rpc.name} as a customer`).toBe(
          "PERMISSION_DENIED",
        );
    });

    it("lets the operator's token through on the admin reads", async () => {
      const token = await toolToken(running.system.gatewayUrl, running.dataDir);
      keep("the operator's token", token);
      const reads = rpcs.filter((rpc) => rpc.access === Access.ADMIN && rpc.read);
      expect(reads.length, "admin reads").toBeGreaterThan(0);
      for (const rpc of reads) {
        const code = GrpcStatus[(await call(rpc, token)).code];
        expect(["UNAUTHENTICATED", "PERMISSION_DENIED"], `${rpc.name} as the operator`).not.toContain(code);
      }
    });
  });

  describe("client credentials through the gateway", () => {
    it("issues tessera-checker a token for its secret", async () => {
      const discovery = await discover(new URL("/oidc", running.system.gatewayUrl).href);
      const secret = await clientSecret(running.dataDir, "tessera-checker");
      const set = await clientCredentials(discovery, { clientId: "tessera-checker", secret });
      keep("a client-credentials token", set.access_token);
      expect(decodeJwt(set.access_token).payload, "the checker's token").toMatchObject({
        client_id: "tessera-checker",
        aud: "urn:tessera:api",
      });
    });

    it("refuses a wrong secret with invalid_client", async () => {
      const discovery = await discover(new URL("/oidc", running.system.gatewayUrl).href);
      const wrong = `wrong-${randomUUID()}`;
      keep("a wrong client secret", wrong);
      const refused = await clientCredentials(discovery, { clientId: "tessera-checker", secret: wrong }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused, "a wrong secret").toBeInstanceOf(SignInError);
      expect((refused as SignInError).code, "a wrong secret").toBe("invalid_client");
      expect([400, 401], "a wrong secret").toContain((refused as SignInError).status);
    });
  });

  describe("rate limit (last: every /api request before counts)", () => {
    it(`answers past ${IP_LIMIT} requests a minute from one address with 429 and Retry-After`, async () => {
      let response: Response | undefined;
      // At most three windows' worth, in case a window turns over while counting.
      for (let i = 0; i < IP_LIMIT * 3 && response?.status !== 429; i++)
        response = await get("/api/v1/products?page_size=1");
      expect(response?.status, "the rate limit").toBe(429);
      expect(Number(response?.headers.get("retry-after")), "the 429's Retry-After").toBeGreaterThan(0);
      expect(response?.headers.get("ratelimit-limit"), "the 429's RateLimit-Limit").toBe(String(IP_LIMIT));
      expect(response?.headers.get("ratelimit-remaining"), "the 429's RateLimit-Remaining").toBe("0");
      expect(response?.headers.get("ratelimit-reset"), "the 429's RateLimit-Reset").toMatch(/^\d+$/);
    });
  });

  describe("logs", () => {
    it("never print a token, password or secret the run used", async () => {
      keep("bob's bearer", (await bearer(running.system.gatewayUrl, "sec-bob")).authorization);
      // The runner shows the administrator's generated password once, on a fresh data folder, by
      // design (a developer's first sign-in): that one line is the only exception.
      const shownOnce = /^runner +\| identity: the administrator is .* \(shown this once[^\n]*\n?/gm;
      const printed = running.output.join("");
      expect(printed.match(shownOnce)?.length ?? 0, "the admin password line").toBeLessThanOrEqual(1);
      const output = printed.replace(shownOnce, "");
      expect(output.length, "the runner's output at debug").toBeGreaterThan(1000);
      expect(secrets.size, "secrets collected").toBeGreaterThan(10);
      for (const [secret, what] of secrets)
        expect(output.includes(secret), `${what} in the logs`).toBe(false);
      expect(output, "an authorization header value in the logs").not.toMatch(
        /authorization["']?\s*[:=]\s*["']?(Bearer|Basic)\s+[\w.~+/-]{8,}/i,
      );
      expect(output, "a JWT in the logs").not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]*/);
    });
  });
});
