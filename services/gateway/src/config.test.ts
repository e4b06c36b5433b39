import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@tessera/kit";
import { GatewayConfig } from "./config.ts";

describe("GatewayConfig", () => {
  it("defaults to port 8080 on all interfaces, the local services and no CORS origins", () => {
    const config = loadConfig(GatewayConfig, {});
    expect(config).toMatchObject({
      GATEWAY_PORT: 8080,
      GATEWAY_HOST: "0.0.0.0",
      CATALOG_ADDR: "127.0.0.1:50051",
      CART_ADDR: "127.0.0.1:50052",
      ORDERS_ADDR: "127.0.0.1:50054",
      NOTIFICATIONS_ADDR: "127.0.0.1:50056",
      TESSERA_MODE: "infra",
      CORS_ORIGINS: [],
      GATEWAY_REQUEST_TIMEOUT_MS: 5000,
    });
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
