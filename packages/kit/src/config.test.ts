import { describe, expect, it } from "vitest";
import { address, BaseConfig, ConfigError, flag, loadConfig, port, z } from "./config.ts";

const Config = BaseConfig.extend({
  DATABASE_URL: z.url(),
  GRPC_PORT: port(50051),
  CATALOG_ADDRESS: address("catalog:50051"),
  FEATURE_SEARCH: flag(false),
});
const minimal = { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/catalog" };

/** Runs `fn`, which must throw a ConfigError, and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("applies the defaults of the shared settings", () => {
    const config = loadConfig(Config, minimal);
    expect(config).toEqual({
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      TESSERA_MODE: "infra",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: 0,
      SHUTDOWN_TIMEOUT_MS: 8_000,
      RPC_DEADLINE_MS: 2_000,
      TRACE_BUFFER_SPANS: 2_000,
      DATABASE_URL: minimal.DATABASE_URL,
      GRPC_PORT: 50051,
      CATALOG_ADDRESS: "catalog:50051",
      FEATURE_SEARCH: false,
    });
  });

  it("coerces numbers from their string form", () => {
    const config = loadConfig(Config, { ...minimal, OPS_PORT: "9464", RPC_DEADLINE_MS: "750" });
    expect(config.OPS_PORT).toBe(9464);
    expect(config.RPC_DEADLINE_MS).toBe(750);
  });

  it("names a missing variable as required", () => {
    const error = configError(() => loadConfig(Config, {}));
    expect(error.variables).toEqual(["DATABASE_URL"]);
    expect(error.message).toContain("DATABASE_URL: is required");
    expect(error.name).toBe("ConfigError");
  });

  it("treats an empty variable as unset", () => {
    const error = configError(() => loadConfig(Config, { DATABASE_URL: "" }));
    expect(error.variables).toEqual(["DATABASE_URL"]);
    expect(loadConfig(Config, { ...minimal, GRPC_PORT: "" }).GRPC_PORT).toBe(50051);
  });

  it("names a variable with a bad value without calling it missing", () => {
    const error = configError(() => loadConfig(Config, { ...minimal, GRPC_PORT: "abc" }));
    expect(error.variables).toEqual(["GRPC_PORT"]);
    expect(error.message).toContain("GRPC_PORT:");
    expect(error.message).not.toContain("is required");
  });

  it("names every bad variable at once", () => {
    const error = configError(() =>
      loadConfig(Config, { DATABASE_URL: "not a url", LOG_LEVEL: "loud", FEATURE_SEARCH: "maybe" }),
    );
    expect([...error.variables].sort()).toEqual(["DATABASE_URL", "FEATURE_SEARCH", "LOG_LEVEL"]);
    for (const variable of error.variables) expect(error.message).toContain(`${variable}:`);
  });

  it("enforces the bounds of the shared settings", () => {
    expect(configError(() => loadConfig(Config, { ...minimal, SHUTDOWN_TIMEOUT_MS: "5" })).variables).toEqual(
      ["SHUTDOWN_TIMEOUT_MS"],
    );
    expect(configError(() => loadConfig(Config, { ...minimal, TESSERA_MODE: "cloud" })).variables).toEqual([
      "TESSERA_MODE",
    ]);
  });

  it("ignores variables the schema does not name", () => {
    const config = loadConfig(Config, { ...minimal, HOME: "/root", PATH: "/bin" });
    expect(config).not.toHaveProperty("HOME");
  });

  it("returns a frozen result", () => {
    const config = loadConfig(Config, minimal);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { GRPC_PORT: number }).GRPC_PORT = 1;
    }).toThrow(TypeError);
  });

  it("reads process.env when no environment is given", () => {
    const name = `TESSERA_TEST_${process.pid}`;
    process.env[name] = "from-process";
    try {
      expect(loadConfig(z.object({ [name]: z.string() }))[name]).toBe("from-process");
    } finally {
      delete process.env[name];
    }
  });
});

describe("port", () => {
  const Schema = z.object({ PORT: port(8080) });

  it("defaults, accepts 0 to 65535 and coerces", () => {
    expect(loadConfig(Schema, {}).PORT).toBe(8080);
    expect(loadConfig(Schema, { PORT: "0" }).PORT).toBe(0);
    expect(loadConfig(Schema, { PORT: "65535" }).PORT).toBe(65535);
  });

  it.each(["65536", "-1", "80.5", "http"])("refuses %s naming the variable", (value) => {
    expect(configError(() => loadConfig(Schema, { PORT: value })).variables).toEqual(["PORT"]);
  });
});

describe("address", () => {
  const Schema = z.object({ TARGET: address("localhost:50051") });

  it.each([
    "localhost:50051",
    "catalog.tessera.svc.cluster.local:443",
    "10.0.0.7:1",
    "[::1]:50051",
    "127.0.0.1:50054,127.0.0.1:50154",
    "dns:///orders.tessera.svc:50054",
    "ipv4:10.0.0.7:50054,10.0.0.8:50054",
  ])("accepts %s", (value) => {
    expect(loadConfig(Schema, { TARGET: value }).TARGET).toBe(value);
  });

  it("defaults", () => {
    expect(loadConfig(Schema, {}).TARGET).toBe("localhost:50051");
  });

  it.each([
    "localhost",
    "http://catalog:50051",
    ":50051",
    "host:port",
    "a b:1",
    "orders:50054,payments:50055",
    "127.0.0.1:50054,",
    "dns:",
  ])("refuses %s as not host:port", (value) => {
    const error = configError(() => loadConfig(Schema, { TARGET: value }));
    expect(error.variables).toEqual(["TARGET"]);
    expect(error.message).toContain("TARGET: must be host:port");
  });
});

describe("flag", () => {
  const Schema = z.object({ ON: flag(true), OFF: flag(false) });

  it("defaults", () => {
    expect(loadConfig(Schema, {})).toEqual({ ON: true, OFF: false });
  });

  it.each([
    ["true", true],
    ["1", true],
    ["yes", true],
    ["false", false],
    ["0", false],
    ["no", false],
  ])("reads %s as %s", (value, expected) => {
    expect(loadConfig(Schema, { ON: value, OFF: value })).toEqual({ ON: expected, OFF: expected });
  });

  it("refuses anything else naming the variable", () => {
    expect(configError(() => loadConfig(Schema, { OFF: "TRUE" })).variables).toEqual(["OFF"]);
  });
});
