import { credentials, makeGenericClientConstructor, type Client as GrpcClient } from "@grpc/grpc-js";
import { EventsService } from "@tessera/contracts/events/v1";
import { EchoService } from "@tessera/contracts/testing/v1";
import { service as healthService } from "grpc-health-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./config.ts";
import {
  cleanups,
  directory,
  EchoConfig,
  echoService,
  env,
  useEchoServices,
} from "./echo-service.fixture.ts";
import { createClient } from "./rpc/client.ts";
import { rejection } from "./rpc/echo-server.fixture.ts";
import { createService } from "./service.ts";
import { testCallers, testClient, testIssuer } from "./test-issuer.ts";

useEchoServices();

function healthCheck(address: string): Promise<string> {
  const Health = makeGenericClientConstructor(healthService, "Health");
  const health = new Health(address, credentials.createInsecure()) as unknown as GrpcClient & {
    check(
      request: { service: string },
      callback: (error: Error | null, response?: { status: string }) => void,
    ): void;
  };
  cleanups.push(() => health.close());
  return new Promise((resolve, reject) =>
    health.check({ service: "" }, (error, response) =>
      error ? reject(error) : resolve(response?.status ?? ""),
    ),
  );
}

describe("createService authentication", () => {
  it("with AUTH_ISSUER, refuses calls without a token and lets its own clients in with its token", async () => {
    const issuer = await testIssuer();
    const service = await echoService(issuer.env);
    const address = `127.0.0.1:${(await service.start()).rpcPort}`;
    const bare = createClient(EchoService, address);
    cleanups.push(() => bare.close());
    expect((await rejection(bare.echo({ message: "x" }))).code).toBe("unauthenticated");
    // Outside any request, the service's clients carry its own client-credentials token (svc-echo).
    expect((await service.client(EchoService, address).echo({ message: "mine" })).message).toBe("mine");
    expect(issuer.tokensIssuedTo("svc-echo")).toBeGreaterThan(0);
    expect(await healthCheck(address)).toBe("SERVING");
  });

  it("keeps the dead letters of its EventsService for administrators", async () => {
    const issuer = await testIssuer();
    const service = await echoService(issuer.env);
    const address = `127.0.0.1:${(await service.start()).rpcPort}`;
    const own = service.client(EventsService, address);
    expect((await rejection(own.listDeadLetters({}))).code).toBe("permission_denied");
    const operator = testClient(EventsService, address, testCallers.operator);
    cleanups.push(() => operator.close());
    expect((await operator.listDeadLetters({})).deadLetters).toEqual([]);
  });

  it("refuses to start without AUTH_ISSUER, naming it and the service's client secret", async () => {
    const error: unknown = await createService({
      name: "echo",
      config: EchoConfig,
      database: { migrations: directory },
      env: { DATABASE_URL: "postgres://127.0.0.1/unused", GRPC_HOST: "127.0.0.1", LOG_LEVEL: "silent" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["AUTH_ISSUER", "AUTH_CLIENT_SECRET"]);
    expect((error as ConfigError).message).toContain("AUTH_ISSUER: is required");
    expect((error as ConfigError).message).toContain("AUTH_CLIENT_SECRET: is required");
  });

  it("needs the service's client secret", async () => {
    const withoutSecret = await env("postgres://127.0.0.1/unused");
    delete withoutSecret["AUTH_CLIENT_SECRET"];
    const error: unknown = await createService({
      name: "echo",
      config: EchoConfig,
      database: { migrations: directory },
      env: withoutSecret,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["AUTH_CLIENT_SECRET"]);
  });
});
