import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IDENTITY_CLIENT_IDS, identitySetup } from "./identity-setup.ts";

describe("identitySetup", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tessera-identity-setup-"));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const gatewayUrl = "http://127.0.0.1:18080/";

  it("names a client for each tool and each service, identity included (it verifies its RPCs too)", () => {
    expect(IDENTITY_CLIENT_IDS).toEqual([
      "tessera-checker",
      "tessera-bench",
      "svc-identity",
      "svc-catalog",
      "svc-cart",
      "svc-inventory",
      "svc-orders",
      "svc-payments",
      "svc-notifications",
      "svc-gateway",
    ]);
  });

  it("generates the admin password and client secrets once, showing the password the first time only", async () => {
    const first = await identitySetup({ dataDir, gatewayUrl, env: {} });
    expect(first.env["IDENTITY_ISSUER"]).toBe("http://127.0.0.1:18080/oidc");
    expect(first.env["IDENTITY_ADMIN_PASSWORD"]).toMatch(/^[\w-]{24}$/);
    expect(first.newAdmin).toEqual({
      email: "admin@tessera.local",
      password: first.env["IDENTITY_ADMIN_PASSWORD"],
    });
    const clients = first.env["IDENTITY_SERVICE_CLIENTS"]!.split(",").map((pair) => pair.split(":"));
    expect(clients.map(([id]) => id)).toEqual(IDENTITY_CLIENT_IDS);
    expect(new Set(clients.map(([, secret]) => secret)).size).toBe(IDENTITY_CLIENT_IDS.length);

    const again = await identitySetup({ dataDir, gatewayUrl, env: {} });
    expect(again.env).toEqual(first.env);
    expect(again.newAdmin).toBeUndefined();
  });

  it("leaves alone what the developer set", async () => {
    const setup = await identitySetup({
      dataDir,
      gatewayUrl,
      env: {
        IDENTITY_ADMIN_PASSWORD: "chosen by the developer",
        IDENTITY_ISSUER: "http://localhost:9999/oidc",
      },
    });
    expect(Object.keys(setup.env)).toEqual(["IDENTITY_SERVICE_CLIENTS"]);
    expect(setup.newAdmin).toBeUndefined();
  });
});
