import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@tessera/kit";
import { GatewayConfig } from "./config.ts";

describe("GatewayConfig", () => {
  it("defaults to port 8080 on all interfaces, the local services and no CORS origins", () => {
    const config = loadConfig(GatewayConfig, {});
    expect(config).toMatchObject({
      GATEWAY_PORT: 8080,
      GATEWAY_HOST: "127.0.0.1",
      CATALOG_ADDR: "127.0.0.1:50051",
      CART_ADDR: "127.0.0.1:50052",
      ORDERS_ADDR: "127.0.0.1:50054",
      NOTIFICATIONS_ADDR: "127.0.0.1:50056",
      TESSERA_MODE: "infra",
      CORS_ORIGINS: [],
      GATEWAY_REQUEST_TIMEOUT_MS: 5000,
      GATEWAY_TRUST_PROXY: false,
      AUTH_ISSUER: "http://127.0.0.1:8080/oidc",
      AUTH_JWKS_URL: "http://127.0.0.1:8090/oidc/jwks",
      AUTH_AUDIENCE: "urn:tessera:api",
      IDENTITY_HTTP_ADDR: "127.0.0.1:8090",
      RATE_LIMIT_IP_PER_MINUTE: 600,
      RATE_LIMIT_USER_PER_MINUTE: 300,
    });
    expect(config.REDIS_URL).toBeUndefined();
  });

  it("reads the issuer without a trailing slash", () => {
    expect(loadConfig(GatewayConfig, { AUTH_ISSUER: "https://shop.example/oidc/" }).AUTH_ISSUER).toBe(
      "https://shop.example/oidc",
    );
  });

  it.each([
    ["1", 1],
    ["10.0.0.0/8, 192.168.1.7", ["10.0.0.0/8", "192.168.1.7"]],
    ["fd00::/8", ["fd00::/8"]],
  ])("reads GATEWAY_TRUST_PROXY %s as a hop count or addresses", (value, expected) => {
    expect(loadConfig(GatewayConfig, { GATEWAY_TRUST_PROXY: value }).GATEWAY_TRUST_PROXY).toEqual(expected);
  });

  it("reads CORS_ORIGINS as a comma-separated list of origins", () => {
    const config = loadConfig(GatewayConfig, {
      CORS_ORIGINS: " https://shop.example , http://localhost:5173,,",
    });
    expect(config.CORS_ORIGINS).toEqual(["https://shop.example", "http://localhost:5173"]);
  });

  it("names the variable when a value is invalid", () => {
    for (const env of [
      { CORS_ORIGINS: "https://shop.example/path" },
      { CORS_ORIGINS: "*" },
      { GATEWAY_PORT: "http" },
      { CATALOG_ADDR: "catalog" },
      { CART_ADDR: "cart:99999" },
      { ORDERS_ADDR: "orders" },
      { NOTIFICATIONS_ADDR: "http://notifications:50056" },
      { TESSERA_MODE: "local" },
      { GATEWAY_REQUEST_TIMEOUT_MS: "10" },
      { AUTH_ISSUER: "ftp://shop.example/oidc" },
      { AUTH_ISSUER: "https://shop.example/oidc?x=1" },
      { AUTH_JWKS_URL: "identity:8090/jwks" },
      { IDENTITY_HTTP_ADDR: "http://identity:8090" },
      { RATE_LIMIT_IP_PER_MINUTE: "0" },
      { RATE_LIMIT_USER_PER_MINUTE: "lots" },
      { REDIS_URL: "http://redis:6379" },
      { GATEWAY_TRUST_PROXY: "everyone" },
      { GATEWAY_TRUST_PROXY: "10.0.0.0/33" },
    ]) {
      const variable = Object.keys(env)[0];
      expect(() => loadConfig(GatewayConfig, env)).toThrow(ConfigError);
      try {
        loadConfig(GatewayConfig, env);
      } catch (error) {
        expect((error as ConfigError).variables).toContain(variable);
      }
    }
  });
});
