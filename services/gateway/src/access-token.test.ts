import { afterEach, describe, expect, it, vi } from "vitest";
import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  exportSPKI,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
} from "jose";
import { startTestIssuer } from "./testing/test-issuer.ts";
import { appPerTest, type TestApp } from "./testing/test-app.ts";
import { alice } from "./testing/users.ts";

// Access tokens as the gateway meets them: over HTTP, on a route that needs a caller.

const start = appPerTest();
afterEach(() => vi.useRealTimers());

const challenge = (description: string) =>
  `Bearer realm="tessera", error="invalid_token", error_description="${description}"`;

function getCart(test: TestApp, token: string) {
  return test.app.inject({ url: "/api/v1/cart", headers: { authorization: `Bearer ${token}` } });
}

/** Asserts a 401 refusing the token with `description`, which says nothing of the token itself. */
async function expectRefused(test: TestApp, token: string, description: string) {
  const calls = test.cart.calls.length;
  const response = await getCart(test, token);
  expect(response.statusCode).toBe(401);
  expect(response.headers["www-authenticate"]).toBe(challenge(description));
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(response.json()).toMatchObject({ type: "urn:tessera:problem:unauthenticated", detail: description });
  const [, payload = "", signature = ""] = token.split(".");
  for (const part of [token, payload, signature].filter((p) => p.length > 8)) {
    expect(response.body).not.toContain(part);
  }
  expect(test.cart.calls).toHaveLength(calls);
}

const now = () => Math.floor(Date.now() / 1000);

/** `token` with its claims replaced, the header and signature kept. */
function withClaims(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split(".");
  return `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
}

describe("a valid access token", () => {
  it("lets its subject in: the cart is the subject's", async () => {
    const test = await start();
    const response = await getCart(test, await test.issuer.sign({ sub: alice }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ userId: alice });
    expect(test.cart.calls.map((call) => call.request)).toEqual([{ userId: alice }]);
  });

  it("is taken with the scheme in any case and with 5 s of clock tolerance on exp and nbf", async () => {
    const test = await start();
    const lenient = await test.issuer.sign({ exp: now() - 3, nbf: now() + 3 });
    const response = await test.app.inject({
      url: "/api/v1/cart",
      headers: { authorization: `bearer ${lenient}` },
    });
    expect(response.statusCode).toBe(200);
  });

  it("may be a service's client-credentials token, whose subject is the client", async () => {
    const test = await start();
    const token = await test.issuer.sign({
      sub: "tessera-bench",
      client_id: "tessera-bench",
      roles: ["service", "admin"],
    });
    expect((await getCart(test, token)).json()).toMatchObject({ userId: "tessera-bench" });
  });
});

describe("a refused access token", () => {
  it("has expired (beyond the 5 s tolerance)", async () => {
    const test = await start();
    const token = await test.issuer.sign({ iat: now() - 960, exp: now() - 10 });
    await expectRefused(test, token, "The access token has expired.");
  });

  it("is not valid yet", async () => {
    const test = await start();
    await expectRefused(
      test,
      await test.issuer.sign({ nbf: now() + 60 }),
      "The access token is not valid yet.",
    );
  });

  it("had its claims changed after it was signed", async () => {
    const test = await start();
    const token = await test.issuer.sign({ sub: alice });
    const forged = withClaims(token, {
      ...decodeJwt(token),
      roles: ["admin"],
    });
    await expectRefused(test, forged, "The access token's signature does not verify.");
  });

  it("was signed by a key the issuer does not hold, under the issuer's key id", async () => {
    const test = await start();
    const { kid } = decodeProtectedHeader(await test.issuer.sign());
    const forged = await test.issuer.sign({}, { unpublishedKey: true, header: { kid } });
    await expectRefused(test, forged, "The access token's signature does not verify.");
  });

  it("is unsigned (alg none)", async () => {
    const test = await start();
    const claims = decodeJwt(await test.issuer.sign()) as object;
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "at+jwt" }));
    const unsigned = `${header}.${base64url.encode(JSON.stringify(claims))}.`;
    await expectRefused(test, unsigned, "The access token is not signed with ES256 or RS256.");
  });

  it("is HS256 with the issuer's public key as the secret", async () => {
    const test = await start();
    const good = await test.issuer.sign();
    const { kid } = decodeProtectedHeader(good);
    const jwks = (await (await fetch(test.issuer.jwksUrl)).json()) as { keys: JWK[] };
    const publicKey = await importJWK(jwks.keys[0]!, "ES256");
    const secret = new TextEncoder().encode(await exportSPKI(publicKey as CryptoKey));
    const claims = decodeJwt(good) as Record<string, unknown>;
    const confused = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" })
      .sign(secret);
    await expectRefused(test, confused, "The access token is not signed with ES256 or RS256.");
  });

  it("is for another audience", async () => {
    const test = await start();
    const token = await test.issuer.sign({ aud: "urn:other:api" });
    await expectRefused(test, token, "The access token is not meant for urn:tessera:api.");
  });

  it("is from another issuer", async () => {
    const test = await start();
    const token = await test.issuer.sign({ iss: "http://elsewhere.test/oidc" });
    await expectRefused(test, token, `The access token was not issued by ${test.issuer.issuer}.`);
  });

  it("is not an access token (an ID token's typ is JWT)", async () => {
    const test = await start();
    const token = await test.issuer.sign({}, { header: { typ: "JWT" } });
    await expectRefused(test, token, "The access token is not of type at+jwt.");
  });

  it.each([
    ["no sub", { sub: undefined }, "The access token has no sub claim."],
    ["no exp", { exp: undefined }, "The access token has no exp claim."],
    ["no client_id", { client_id: undefined }, "The access token has no client_id claim."],
    [
      "roles that are not a list",
      { roles: "admin" },
      "The access token's roles claim must be an array of strings.",
    ],
  ])("has %s", async (_name, claims, description) => {
    const test = await start();
    await expectRefused(test, await test.issuer.sign(claims), description);
  });

  it.each([
    ["not a JWT", "not-a-token"],
    ["three parts of nonsense", "abc.def.ghi"],
  ])("is %s", async (_name, token) => {
    const test = await start();
    await expectRefused(test, token, "The access token is not a well-formed signed JWT.");
  });
});

describe("a valid access token without the api scope", () => {
  it.each([
    ["another scope only", { scope: "openid" }],
    ["no scope at all", { scope: undefined }],
  ])("is refused with a 403 insufficient_scope when it has %s", async (_name, claims) => {
    const test = await start();
    const response = await getCart(test, await test.issuer.sign(claims));
    expect(response.statusCode).toBe(403);
    expect(response.headers["www-authenticate"]).toBe(
      'Bearer realm="tessera", error="insufficient_scope", error_description="The access token was not granted the api scope."',
    );
    expect(response.json()).toMatchObject({ type: "urn:tessera:problem:permission-denied" });
    expect(test.cart.calls).toEqual([]);
  });
});

describe("the issuer's keys", () => {
  it("are fetched again for an unknown key id, at most every 30 s, and a key published since is taken", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const test = await start();
    const { issuer } = test;
    expect((await getCart(test, await issuer.sign())).statusCode).toBe(200);
    const fetched = issuer.jwksFetches;

    const unknown = await issuer.sign({}, { unpublishedKey: true });
    const refusal = "The access token is signed with a key the issuer does not publish.";
    await expectRefused(test, unknown, refusal);
    expect(issuer.jwksFetches).toBe(fetched);

    vi.setSystemTime(Date.now() + 31_000);
    await expectRefused(test, unknown, refusal);
    expect(issuer.jwksFetches).toBe(fetched + 1);

    await issuer.rotate();
    vi.setSystemTime(Date.now() + 31_000);
    expect((await getCart(test, await issuer.sign())).statusCode).toBe(200);
    expect(issuer.jwksFetches).toBe(fetched + 2);
  });

  it("unreachable: a token cannot be checked, which is a 503 with Retry-After, not the caller's 401", async () => {
    const down = await startTestIssuer();
    await down.close();
    const test = await start({ env: down.env });
    const response = await getCart(test, await down.sign());
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.headers["www-authenticate"]).toBeUndefined();
    expect(response.json()).toMatchObject({ type: "urn:tessera:problem:unavailable" });
    expect(
      test.logs.some(
        (line) => line["message"] === "access tokens cannot be verified: the issuer's keys are unavailable",
      ),
    ).toBe(true);
  });

  it("failing (a 500 from identity): also a 503", async () => {
    const failing = await startTestIssuer();
    try {
      failing.failJwks(500);
      const test = await start({ env: failing.env });
      expect((await getCart(test, await failing.sign())).statusCode).toBe(503);
    } finally {
      await failing.close();
    }
  });

  it("once fetched, carry on verifying while identity is briefly down", async () => {
    const issuer = await startTestIssuer();
    try {
      const test = await start({ env: issuer.env });
      expect((await getCart(test, await issuer.sign())).statusCode).toBe(200);
      issuer.failJwks(503);
      expect((await getCart(test, await issuer.sign())).statusCode).toBe(200);
    } finally {
      await issuer.close();
    }
  });
});
