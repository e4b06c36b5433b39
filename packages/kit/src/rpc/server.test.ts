import { Client as GrpcClient, credentials, makeGenericClientConstructor, Metadata } from "@grpc/grpc-js";
import { EchoService } from "@tessera/contracts/testing/v1";
import { service as healthService } from "grpc-health-check";
import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../errors.ts";
import { createMetrics } from "../metrics.ts";
import {
  captureLog,
  cleanups,
  detailedError,
  echoClient,
  echoHandlers,
  rejection,
  startEcho,
  useEchoServers,
} from "./echo-server.fixture.ts";
import { createRpcServer, type ServiceImpl } from "./server.ts";

useEchoServers();

describe("RPC server", () => {
  it("answers a unary call", async () => {
    const { address, state } = await startEcho();
    const response = await echoClient(address).echo({ message: "hello" });
    expect(response.message).toBe("hello");
    expect(state.calls.map((call) => call.method)).toEqual(["Echo"]);
    expect(state.calls[0]?.context.method).toBe("EchoService/Echo");
  });

  it.each<ErrorCode>([
    "invalid_argument",
    "not_found",
    "already_exists",
    "failed_precondition",
    "permission_denied",
    "unauthenticated",
    "aborted",
    "cancelled",
  ])("carries a %s ServiceError to the client with its code and message", async (code) => {
    const { address } = await startEcho();
    const error = await rejection(echoClient(address).echoOnce({ message: "x", failWith: code }));
    expect(error.code).toBe(code);
    expect(error.message).toBe(`failed with ${code}`);
  });

  it("carries every detail of a ServiceError to the client, in the service's domain", async () => {
    const { address } = await startEcho();
    const error = await rejection(echoClient(address).echoOnce({ message: "x", failWith: "detailed" }));
    expect(error).toMatchObject({
      code: "failed_precondition",
      message: "the echo cannot be sent",
      reason: "echo-refused",
      domain: "tessera.testing",
      metadata: { limit: "3" },
      fieldViolations: detailedError.fieldViolations,
      preconditionViolations: detailedError.preconditionViolations,
      retryDelayMs: 2_500,
    });
  });

  it("reports an unexpected error as internal without leaking it, and logs it on the server", async () => {
    const { address, lines } = await startEcho();
    const error = await rejection(echoClient(address).echoOnce({ message: "x", failWith: "crash" }));
    expect(error.code).toBe("internal");
    expect(error.message).toBe("internal error");
    expect(JSON.stringify(error)).not.toContain("hunter2");
    const logged = lines.find((line) => line["message"] === "rpc failed");
    expect(logged).toMatchObject({
      "log.level": "error",
      "rpc.method": "EchoService/EchoOnce",
      error: { message: expect.stringContaining("ECONNREFUSED") as unknown },
    });
  });

  it("does not log the errors a handler means to return", async () => {
    const { address, lines } = await startEcho();
    await rejection(echoClient(address).echoOnce({ message: "x", failWith: "not_found" }));
    expect(lines.filter((line) => line["log.level"] === "error")).toEqual([]);
  });

  it("answers unavailable once the server has stopped", async () => {
    const { address, rpc } = await startEcho();
    const client = echoClient(address, { maxAttempts: 2 });
    expect((await client.echo({ message: "up" })).message).toBe("up");
    await rpc.close(100);
    expect((await rejection(client.echoOnce({ message: "down" }))).code).toBe("unavailable");
    expect((await rejection(client.echo({ message: "down" }))).code).toBe("unavailable");
  });

  it("answers unavailable when nothing listens at the address", async () => {
    const { address, rpc } = await startEcho();
    await rpc.close(100);
    const error = await rejection(echoClient(address, { maxAttempts: 1 }).echoOnce({ message: "x" }));
    expect(error.code).toBe("unavailable");
  });

  it("lets in-flight calls finish when it closes", async () => {
    const { address, rpc, state } = await startEcho();
    const pending = echoClient(address).echo({ message: "slow", delayMs: 150 }, { timeoutMs: 2_000 });
    await expect.poll(() => state.calls.length).toBe(1);
    await rpc.close(2_000);
    expect((await pending).message).toBe("slow");
  });

  it("serves the standard gRPC health service for the server and each service", async () => {
    const { address } = await startEcho();
    const Health = makeGenericClientConstructor(healthService, "Health");
    const health = new Health(address, credentials.createInsecure()) as unknown as GrpcClient & {
      check(
        request: { service: string },
        callback: (error: Error | null, response?: { status: string }) => void,
      ): void;
    };
    cleanups.push(() => health.close());
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        health.check({ service }, (error, response) =>
          error ? reject(error) : resolve(response?.status ?? ""),
        ),
      );
    expect(await check("")).toBe("SERVING");
    expect(await check("tessera.testing.v1.EchoService")).toBe("SERVING");
    await expect(check("tessera.nothing.v1.Nothing")).rejects.toMatchObject({ code: 5 });
  });

  it("serves reflection listing its services and their proto files", async () => {
    const { address } = await startEcho();
    const raw = new GrpcClient(address, credentials.createInsecure());
    cleanups.push(() => raw.close());
    const reflect = (request: Buffer) =>
      new Promise<Buffer>((resolve, reject) => {
        const call = raw.makeBidiStreamRequest(
          "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          new Metadata(),
        );
        call.on("data", (response: Buffer) => {
          resolve(response);
          call.end();
        });
        call.on("error", reject);
        call.write(request);
      });
    // ServerReflectionRequest { list_services = 7: "" }
    const services = (await reflect(Buffer.from([0x3a, 0x00]))).toString("latin1");
    expect(services).toContain("tessera.testing.v1.EchoService");
    // ServerReflectionRequest { file_containing_symbol = 4: "tessera.testing.v1.EchoService" }
    const symbol = Buffer.from("tessera.testing.v1.EchoService");
    const file = (await reflect(Buffer.concat([Buffer.from([0x22, symbol.length]), symbol]))).toString(
      "latin1",
    );
    expect(file).toContain("tessera/testing/v1/echo.proto");
    expect(file).toContain("EchoRequest");
  });

  it("times served and outgoing calls by method and status", async () => {
    const { address, metrics: serverMetrics } = await startEcho();
    const clientMetrics = createMetrics("caller");
    const client = echoClient(address, { metrics: clientMetrics });
    await client.echo({ message: "x" });
    await client.echo({ message: "y" });
    await rejection(client.echoOnce({ message: "x", failWith: "not_found" }));
    const served = await serverMetrics.registry.getSingleMetricAsString("rpc_server_duration_seconds");
    expect(served).toMatch(
      /rpc_server_duration_seconds_count\{(?=[^}]*method="Echo")(?=[^}]*code="OK")[^}]*\} 2/,
    );
    expect(served).toMatch(
      /rpc_server_duration_seconds_count\{(?=[^}]*method="EchoOnce")(?=[^}]*code="NOT_FOUND")[^}]*\} 1/,
    );
    const sent = await clientMetrics.registry.getSingleMetricAsString("rpc_client_duration_seconds");
    expect(sent).toMatch(
      /rpc_client_duration_seconds_count\{(?=[^}]*service="EchoService")(?=[^}]*method="Echo")(?=[^}]*code="OK")[^}]*\} 2/,
    );
    expect(sent).toMatch(
      /rpc_client_duration_seconds_count\{(?=[^}]*method="EchoOnce")(?=[^}]*code="NOT_FOUND")[^}]*\} 1/,
    );
  });

  it("refuses a service with a method left unimplemented", () => {
    const { log } = captureLog();
    const rpc = createRpcServer({ log, metrics: createMetrics("echo") });
    const { echoStream: _, ...partial } = echoHandlers({
      calls: [],
      failFirst: 0,
      streamFinished: Promise.withResolvers(),
    });
    expect(() => rpc.add(EchoService, partial as ServiceImpl<typeof EchoService>)).toThrow(
      "EchoService.EchoStream has no handler",
    );
  });
});
