import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestIdentity, type TestIdentity } from "./testing/test-service.ts";

describe("discovery and JWKS", () => {
  let identity: TestIdentity;

  beforeAll(async () => {
    identity = await startTestIdentity();
  });

  afterAll(() => identity?.stop());

  it("publishes every endpoint under the issuer, with PKCE S256 only", async () => {
    const response = await fetch(`${identity.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: identity.issuer,
      authorization_endpoint: `${identity.issuer}/auth`,
      token_endpoint: `${identity.issuer}/token`,
      jwks_uri: `${identity.issuer}/jwks`,
      end_session_endpoint: `${identity.issuer}/session/end`,
      code_challenge_methods_supported: ["S256"],
      response_types_supported: ["code"],
      id_token_signing_alg_values_supported: ["ES256"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic"],
    });
    expect(discovery).not.toHaveProperty("dpop_signing_alg_values_supported");
    expect(discovery).not.toHaveProperty("userinfo_endpoint");
    expect(discovery["grant_types_supported"]).toEqual(
      expect.arrayContaining(["authorization_code", "refresh_token", "client_credentials"]),
    );
  });

  it("serves one public ES256 key, and no private part of it", async () => {
    const response = await fetch(`${identity.issuer}/jwks`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({
      kty: "EC",
      crv: "P-256",
      alg: "ES256",
      use: "sig",
      kid: expect.any(String),
      x: expect.any(String),
      y: expect.any(String),
    });
  });

  it("answers with the gateway's public origin when the gateway forwards a request", async () => {
    const response = await fetch(`${identity.issuer}/.well-known/openid-configuration`, {
      headers: { "x-forwarded-proto": "https", "x-forwarded-host": "shop.example" },
    });
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery["authorization_endpoint"]).toBe("https://shop.example/oidc/auth");
    expect(discovery["token_endpoint"]).toBe("https://shop.example/oidc/token");
    // The issuer is configuration, not a header: tokens name the same issuer either way.
    expect(discovery["issuer"]).toBe(identity.issuer);
  });

  it("answers 404 outside the issuer's path", async () => {
    const response = await fetch(new URL("/somewhere", identity.issuer));
    expect(response.status).toBe(404);
  });
});
