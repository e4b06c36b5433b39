import { ConfigError } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { readRunnerConfig } from "./config.ts";

describe("readRunnerConfig", () => {
  it("defaults to the embedded server on 54329, no offset, the gateway on 8080", () => {
    expect(readRunnerConfig({})).toEqual({
      dataDir: undefined,
      pgPort: 54329,
      portOffset: 0,
      pgUrl: undefined,
      gatewayPort: 8080,
      logLevel: "info",
      databaseUrls: {},
      replicas: {},
    });
  });

  it("reads the overrides and DATABASE_URL_<SERVICE> per service", () => {
    const config = readRunnerConfig({
      TESSERA_DATA_DIR: "/tmp/tessera",
      TESSERA_PG_PORT: "6000",
      TESSERA_PORT_OFFSET: "100",
      TESSERA_PG_URL: "postgresql://admin:pw@db:5432/postgres",
      GATEWAY_PORT: "18080",
      LOG_LEVEL: "debug",
      DATABASE_URL_CATALOG: "postgres://c@db/catalog",
      DATABASE_URL: "postgres://not-per-service",
    });
    expect(config).toMatchObject({
      dataDir: "/tmp/tessera",
      pgPort: 6000,
      portOffset: 100,
      pgUrl: "postgresql://admin:pw@db:5432/postgres",
      gatewayPort: 18080,
      logLevel: "debug",
      databaseUrls: { catalog: "postgres://c@db/catalog" },
    });
  });

  it("names the variable that is wrong", () => {
    expect(() => readRunnerConfig({ TESSERA_PORT_OFFSET: "-1" })).toThrow(ConfigError);
    expect(() => readRunnerConfig({ TESSERA_PG_URL: "mysql://x" })).toThrow(/TESSERA_PG_URL/);
    expect(() => readRunnerConfig({ GATEWAY_PORT: "http" })).toThrow(/GATEWAY_PORT/);
  });
});
