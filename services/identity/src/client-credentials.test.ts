import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientCredentials, type Discovery } from "./client/sign-in.ts";
import {
  startDiscoveredIdentity,
  type DiscoveredIdentity,
  type TestIdentity,
} from "./testing/test-service.ts";

describe("client credentials for services and tools", () => {
  let identity: TestIdentity;
  let discovery: Discovery;
  let verify: DiscoveredIdentity["verify"];

  beforeAll(async () => {
    ({ identity, discovery, verify } = await startDiscoveredIdentity());
  });

  afterAll(() => identity?.stop());

  it("gives svc-orders an API token with the service role, the client as its subject", async () => {
    const secret = identity.secrets.clients["svc-orders"]!;
    const tokens = await clientCredentials(discovery, { clientId: "svc-orders", secret });
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "api" });
    expect(tokens.refresh_token).toBeUndefined();
    const { payload } = await verify(tokens.access_token);
    expect(payload).toEqual({
      iss: identity.issuer,
      aud: "urn:tessera:api",
      sub: "svc-orders",
      client_id: "svc-orders",
      scope: "api",
      roles: ["service"],
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
    });
  });

  it("gives the consistency checker the admin role as well", async () => {
    const secret = identity.secrets.clients["tessera-checker"]!;
    const tokens = await clientCredentials(discovery, { clientId: "tessera-checker", secret });
    const { payload } = await verify(tokens.access_token);
    expect(payload["roles"]).toEqual(["service", "admin"]);
  });

  it("refuses a wrong secret, an unknown client and another audience", async () => {
    await expect(
      clientCredentials(discovery, { clientId: "svc-orders", secret: "x".repeat(40) }),
    ).rejects.toMatchObject({ status: 401, code: "invalid_client" });
    await expect(
      clientCredentials(discovery, { clientId: "svc-unknown", secret: "x".repeat(40) }),
    ).rejects.toMatchObject({ status: 401, code: "invalid_client" });

    const secret = identity.secrets.clients["svc-gateway"]!;
    const response = await fetch(discovery.token_endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`svc-gateway:${secret}`).toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "client_credentials", resource: "urn:elsewhere" }).toString(),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_target" });
  });

  it("does not let tessera-web, a public client, use client credentials", async () => {
    const response = await fetch(discovery.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: "tessera-web" }).toString(),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "invalid_request",
      error_description: "requested grant type is not allowed for this client",
    });
  });
});
