import { EchoService } from "@tessera/contracts/testing/v1";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./config.ts";
import { directory, EchoConfig, echoService, env, useEchoServices } from "./echo-service.fixture.ts";
import { createService } from "./service.ts";
import { RpcServiceConfig } from "./service-config.ts";
import { testIssuer } from "./test-issuer.ts";

useEchoServices();

describe("createService configuration", () => {
  it("exposes its parsed, frozen config", async () => {
    const service = await echoService({ RPC_DEADLINE_MS: "1500" });
    expect(service.name).toBe("echo");
    expect(service.config.RPC_DEADLINE_MS).toBe(1500);
    expect(service.config.GRPC_HOST).toBe("127.0.0.1");
    expect(Object.isFrozen(service.config)).toBe(true);
  });

  it("gives its clients the configured default deadline", async () => {
    const service = await echoService({ RPC_DEADLINE_MS: "1500" });
    const { rpcPort } = await service.start();
    const before = Date.now();
    const response = await service.client(EchoService, `127.0.0.1:${rpcPort}`).echo({ message: "x" });
    const after = Date.now();
    // 1.5 s after the call started, somewhere between `before` and `after` (the wire rounds it).
    expect(Number(response.deadlineMs)).toBeGreaterThan(before + 1_400);
    expect(Number(response.deadlineMs)).toBeLessThanOrEqual(after + 1_500);
  });

  it("throws a ConfigError naming a missing variable when given an environment", async () => {
    const error: unknown = await createService({
      name: "echo",
      config: EchoConfig,
      database: { migrations: directory },
      env: { ...(await testIssuer()).env, LOG_LEVEL: "silent" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["DATABASE_URL"]);
    expect((error as ConfigError).message).toContain("DATABASE_URL: is required");
  });

  it("throws a ConfigError naming a variable with a bad value", async () => {
    const error: unknown = await createService({
      name: "echo",
      config: EchoConfig,
      env: await env("postgres://x", { GRPC_PORT: "http" }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["GRPC_PORT"]);
  });

  it("reads DATABASE_URL itself when the service has a database, with the service's own variables", async () => {
    const error: unknown = await createService({
      name: "echo",
      config: RpcServiceConfig,
      database: { migrations: directory },
      env: { ...(await testIssuer()).env, LOG_LEVEL: "silent", GRPC_PORT: "http", EVENTS_TRANSPORT: "kafka" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["GRPC_PORT", "DATABASE_URL", "KAFKA_BROKERS"]);
  });
});
