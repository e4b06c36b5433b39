import { ConfigError, loadConfig } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { IdentityConfig } from "./config.ts";

const load = (env: Record<string, string>) => loadConfig(IdentityConfig, env);

describe("identity's configuration", () => {
  it("has the defaults of a system behind the gateway on 127.0.0.1:8080", () => {
    expect(load({ TESSERA_MODE: "embedded" })).toMatchObject({
      GRPC_PORT: 50050,
      IDENTITY_HOST: "127.0.0.1",
      IDENTITY_PORT: 8090,
      IDENTITY_ISSUER: "http://127.0.0.1:8080/oidc",
      IDENTITY_API_AUDIENCE: "urn:tessera:api",
      IDENTITY_ADMIN_EMAIL: "admin@tessera.local",
      IDENTITY_SERVICE_CLIENTS: [],
      IDENTITY_KEY_ROTATION_DAYS: 30,
    });
    expect(load({ TESSERA_MODE: "embedded" }).IDENTITY_ADMIN_PASSWORD).toBeUndefined();
  });

  it("requires the administrator's password outside embedded mode, and a good one", () => {
    expect(() => load({})).toThrow(/IDENTITY_ADMIN_PASSWORD: is required outside embedded mode/);
    expect(() => load({ TESSERA_MODE: "embedded", IDENTITY_ADMIN_PASSWORD: "short" })).toThrow(ConfigError);
    expect(load({ IDENTITY_ADMIN_PASSWORD: "a long enough password" }).IDENTITY_ADMIN_PASSWORD).toBe(
      "a long enough password",
    );
  });

  it("refuses an issuer with a query, and names a bad client list without quoting it", () => {
    const embedded = { TESSERA_MODE: "embedded" };
    expect(() => load({ ...embedded, IDENTITY_ISSUER: "http://127.0.0.1:8080/oidc?x=1" })).toThrow(
      /IDENTITY_ISSUER/,
    );
    const secret = "s".repeat(40);
    let error: unknown;
    try {
      load({ ...embedded, IDENTITY_SERVICE_CLIENTS: secret });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["IDENTITY_SERVICE_CLIENTS"]);
    expect((error as Error).message).not.toContain(secret);
  });

  it("drops a trailing slash from the issuer", () => {
    expect(
      load({ TESSERA_MODE: "embedded", IDENTITY_ISSUER: "https://shop.example/oidc/" }).IDENTITY_ISSUER,
    ).toBe("https://shop.example/oidc");
  });
});
