import { Client as GrpcClient, credentials, makeGenericClientConstructor, Metadata } from "@grpc/grpc-js";
import { EchoService } from "@tessera/contracts/testing/v1";
import { service as healthService } from "grpc-health-check";
import { getEventListeners } from "node:events";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { currentContext, runWithContext } from "../context.ts";
import { ServiceError, type ErrorCode } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { createMetrics, type Metrics } from "../metrics.ts";
import { createClient, type Client, type ClientOptions } from "./client.ts";
import { createRpcServer, type CallContext, type RpcServer, type ServiceImpl } from "./server.ts";

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** What the Echo handlers saw, and knobs to make them fail. */
interface EchoState {
  calls: { method: string; context: CallContext; requestId?: string; traceparent?: string }[];
  /** Echo fails with `unavailable` while this is above zero, counting down. */
  failFirst: number;
  /** Settles when an EchoStream generator finishes (its `finally` ran). */
  streamFinished: PromiseWithResolvers<void>;
  /** Streams at most this many items before throwing `not_found`. */
  streamFailAfter?: number;
}

function fail(failWith: string): never {
  // "crash" stands for a bug or a driver error: something that is not a ServiceError.
  if (failWith === "crash") throw new Error("connect ECONNREFUSED 10.0.0.5:5432 password=hunter2");
  throw new ServiceError(failWith as ErrorCode, `failed with ${failWith}`);
}

function echoHandlers(
  state: EchoState,
  forward?: () => Client<typeof EchoService>,
): ServiceImpl<typeof EchoService> {
  const record = (method: string, context: CallContext) =>
    state.calls.push({ method, context, ...currentContext() });
  return {
    async echo(request, context) {
      record("Echo", context);
      if (state.failFirst > 0) {
        state.failFirst--;
        throw new ServiceError("unavailable", "warming up");
      }
      if (request.delayMs > 0) await sleep(request.delayMs, undefined, { signal: context.signal });
      if (request.failWith) fail(request.failWith);
      // A call made inside a handler: it must inherit this call's deadline and ids.
      if (forward && request.message.startsWith("forward:"))
        return forward().echo({ message: request.message });
      return {
        message: request.message,
        requestId: currentContext()?.requestId ?? "",
        deadlineMs: BigInt(context.deadline ?? 0),
      };
    },
    echoOnce(request, context) {
      record("EchoOnce", context);
      if (request.failWith) fail(request.failWith);
      return { message: request.message };
    },
    async *echoStream(request, context) {
      record("EchoStream", context);
      try {
        for (let index = 0; request.count === 0 || index < request.count; index++) {
          if (state.streamFailAfter !== undefined && index === state.streamFailAfter) {
            throw new ServiceError("not_found", `no item ${index}`);
          }
          yield { message: request.message, index };
          if (request.count === 0) await sleep(2);
        }
      } finally {
        state.streamFinished.resolve();
      }
    },
  };
}

/** Log lines, parsed, for asserting what the server logged. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n"))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ service: "echo", destination }), lines };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface EchoServer {
  rpc: RpcServer;
  address: string;
  state: EchoState;
  metrics: Metrics;
  lines: Record<string, unknown>[];
}

async function startEcho(forward?: () => Client<typeof EchoService>): Promise<EchoServer> {
  const state: EchoState = { calls: [], failFirst: 0, streamFinished: Promise.withResolvers() };
  const { log, lines } = captureLog();
  const metrics = createMetrics("echo");
  const rpc = createRpcServer({ log, metrics });
  rpc.add(EchoService, echoHandlers(state, forward));
  const port = await rpc.listen("127.0.0.1:0");
  cleanups.push(() => rpc.close(100));
  return { rpc, address: `127.0.0.1:${port}`, state, metrics, lines };
}

function echoClient(address: string, options: ClientOptions = {}): Client<typeof EchoService> {
  const client = createClient(EchoService, address, options);
  cleanups.push(() => client.close());
  return client;
}

/** Awaits a promise that must reject with a ServiceError, and returns it. */
async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  const error: unknown = await promise.then(
    () => new Error("expected the call to fail"),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => Promise.reject(new Error(`did not settle within ${ms} ms`))),
  ]);
}

describe("RPC server and client", () => {
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

  it("lets the handler see the caller's deadline", async () => {
    const { address, state } = await startEcho();
    const before = Date.now();
    const response = await echoClient(address, { deadlineMs: 5_000 }).echo(
      { message: "x" },
      { timeoutMs: 1_000 },
    );
    const deadline = Number(response.deadlineMs);
    expect(deadline).toBeGreaterThanOrEqual(before + 1_000 - 5);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 1_000 + 1);
    expect(state.calls[0]?.context.deadline).toBe(deadline);
  });

  it("uses the client's default deadline when the call sets none", async () => {
    const { address } = await startEcho();
    const before = Date.now();
    const response = await echoClient(address, { deadlineMs: 3_000 }).echo({ message: "x" });
    expect(Number(response.deadlineMs) - before).toBeGreaterThan(2_900);
    // Later by the time the request took to arrive: it travels as a relative timeout.
    expect(Number(response.deadlineMs) - before).toBeLessThan(3_500);
  });

  it("never lets a call outlive the deadline of the context it runs in", async () => {
    const { address } = await startEcho();
    const client = echoClient(address, { deadlineMs: 30_000 });
    const inherited = Date.now() + 500;
    const response = await runWithContext({ deadline: inherited }, () => client.echo({ message: "x" }));
    // The deadline crosses the wire as a relative timeout: the server's view is later by the transit time,
    // but nowhere near the client's own 30 s default.
    expect(Number(response.deadlineMs)).toBeLessThanOrEqual(inherited + 100);
    expect(Number(response.deadlineMs)).toBeGreaterThan(inherited - 100);
  });

  it("keeps its own deadline when it is sooner than the inherited one", async () => {
    const { address } = await startEcho();
    const client = echoClient(address);
    const response = await runWithContext({ deadline: Date.now() + 10_000 }, () =>
      client.echo({ message: "x" }, { timeoutMs: 200 }),
    );
    expect(Number(response.deadlineMs)).toBeLessThanOrEqual(Date.now() + 200);
  });

  it("fails at once without calling when the inherited deadline has passed", async () => {
    const { address, state } = await startEcho();
    const client = echoClient(address);
    const error = await rejection(
      runWithContext({ deadline: Date.now() - 1 }, () => client.echo({ message: "x" })),
    );
    expect(error.code).toBe("deadline_exceeded");
    expect(state.calls).toEqual([]);
  });

  it("fails with deadline_exceeded when the server is too slow, and aborts the handler's signal", async () => {
    const { address, state } = await startEcho();
    const started = Date.now();
    const error = await rejection(
      echoClient(address, { maxAttempts: 1 }).echo({ message: "x", delayMs: 2_000 }, { timeoutMs: 100 }),
    );
    expect(error.code).toBe("deadline_exceeded");
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect.poll(() => state.calls[0]?.context.signal.aborted).toBe(true);
  });

  it("neither logs nor times as internal a handler that stops because its caller gave up", async () => {
    const { address, state, lines, metrics } = await startEcho();
    // A deadline long enough for the call to reach the handler however busy the machine is.
    await rejection(
      echoClient(address, { maxAttempts: 1 }).echo({ message: "x", delayMs: 10_000 }, { timeoutMs: 1_000 }),
    );
    await expect.poll(() => state.calls[0]?.context.signal.aborted, { timeout: 10_000 }).toBe(true);
    await expect
      .poll(() => metrics.registry.getSingleMetricAsString("rpc_server_duration_seconds"), {
        timeout: 10_000,
      })
      .toMatch(/rpc_server_duration_seconds_count\{(?=[^}]*method="Echo")(?=[^}]*code="CANCELLED")[^}]*\} 1/);
    expect(await metrics.registry.getSingleMetricAsString("rpc_server_duration_seconds")).not.toContain(
      "INTERNAL",
    );
    expect(lines.filter((line) => line["log.level"] === "error")).toEqual([]);
  });

  it("does not retry a call that ran out of its deadline, nor count it more than once against the breaker", async () => {
    const { address, state } = await startEcho();
    const client = echoClient(address, { breakerThreshold: 2, breakerHalfOpenAfterMs: 60_000 });
    await rejection(client.echo({ message: "x", delayMs: 3_000 }, { timeoutMs: 500 }));
    expect(state.calls).toHaveLength(1);
    // One slow call is one failure: the breaker (threshold 2) is still closed.
    expect((await client.echo({ message: "still there" })).message).toBe("still there");
  });

  it("propagates the deadline, request id and trace context to calls made inside a handler", async () => {
    const back = await startEcho();
    const backClient = echoClient(back.address, { deadlineMs: 30_000 });
    const front = await startEcho(() => backClient);
    const response = await runWithContext({ requestId: "req-7", traceparent }, () =>
      echoClient(front.address).echo({ message: "forward:x" }, { timeoutMs: 1_000 }),
    );
    const frontDeadline = front.state.calls[0]?.context.deadline ?? Infinity;
    const backDeadline = back.state.calls[0]?.context.deadline ?? Infinity;
    expect(response.message).toBe("forward:x");
    expect(response.requestId).toBe("req-7");
    expect(backDeadline).toBeLessThanOrEqual(frontDeadline + 100);
    expect(backDeadline).toBeLessThan(Date.now() + 1_000);
    expect(back.state.calls[0]).toMatchObject({ requestId: "req-7", traceparent });
  });

  it("sends the request id and trace context as metadata", async () => {
    const { address, state } = await startEcho();
    const response = await runWithContext({ requestId: "req-42", traceparent }, () =>
      echoClient(address).echo({ message: "x" }),
    );
    expect(response.requestId).toBe("req-42");
    const metadata = state.calls[0]?.context.metadata;
    expect(metadata?.get("x-request-id")).toEqual(["req-42"]);
    expect(metadata?.get("traceparent")).toEqual([traceparent]);
    expect(state.calls[0]).toMatchObject({ requestId: "req-42", traceparent });
  });

  it("sends no request id outside a request context", async () => {
    const { address, state } = await startEcho();
    expect((await echoClient(address).echo({ message: "x" })).requestId).toBe("");
    expect(state.calls[0]?.context.metadata.get("x-request-id")).toEqual([]);
  });

  it("retries an idempotent method after transient failures", async () => {
    const { address, state } = await startEcho();
    state.failFirst = 2;
    const response = await echoClient(address, { maxAttempts: 3 }).echo({ message: "third time lucky" });
    expect(response.message).toBe("third time lucky");
    expect(state.calls).toHaveLength(3);
  });

  it("gives up after maxAttempts with the last failure", async () => {
    const { address, state } = await startEcho();
    state.failFirst = 10;
    const error = await rejection(echoClient(address, { maxAttempts: 3 }).echo({ message: "x" }));
    expect(error.code).toBe("unavailable");
    expect(error.message).toBe("warming up");
    expect(state.calls).toHaveLength(3);
  });

  it("never retries a method with side effects", async () => {
    const { address, state } = await startEcho();
    const error = await rejection(
      echoClient(address, { maxAttempts: 5 }).echoOnce({ message: "x", failWith: "unavailable" }),
    );
    expect(error.code).toBe("unavailable");
    expect(state.calls).toHaveLength(1);
  });

  it("never retries a failure that is the service's answer", async () => {
    const { address, state } = await startEcho();
    await rejection(echoClient(address, { maxAttempts: 5 }).echo({ message: "x", failWith: "not_found" }));
    await rejection(echoClient(address, { maxAttempts: 5 }).echo({ message: "x", failWith: "crash" }));
    expect(state.calls).toHaveLength(2);
  });

  it("opens the circuit after consecutive transient failures and then fails fast", async () => {
    const { address, state } = await startEcho();
    const client = echoClient(address, {
      maxAttempts: 1,
      breakerThreshold: 3,
      breakerHalfOpenAfterMs: 60_000,
    });
    for (let i = 0; i < 3; i++) {
      expect((await rejection(client.echoOnce({ message: "x", failWith: "unavailable" }))).message).toBe(
        "failed with unavailable",
      );
    }
    const started = performance.now();
    const error = await rejection(client.echoOnce({ message: "x" }));
    expect(error.code).toBe("unavailable");
    expect(error.message).toMatch(/circuit/);
    expect(performance.now() - started).toBeLessThan(250);
    expect(state.calls).toHaveLength(3);
  });

  it("keeps a method's circuit apart from the others' (a callee's failing dependency stops one method only)", async () => {
    const { address } = await startEcho();
    const client = echoClient(address, {
      maxAttempts: 1,
      breakerThreshold: 2,
      breakerHalfOpenAfterMs: 60_000,
    });
    for (let i = 0; i < 2; i++) await rejection(client.echoOnce({ message: "x", failWith: "unavailable" }));
    expect((await rejection(client.echoOnce({ message: "x" }))).message).toMatch(/circuit/);
    expect((await client.echo({ message: "still served" })).message).toBe("still served");
  });

  it("closes the circuit again once a trial call succeeds", async () => {
    const { address, state } = await startEcho();
    const client = echoClient(address, { maxAttempts: 1, breakerThreshold: 2, breakerHalfOpenAfterMs: 100 });
    state.failFirst = 2;
    await rejection(client.echo({ message: "x" }));
    await rejection(client.echo({ message: "x" }));
    expect((await rejection(client.echo({ message: "x" }))).message).toMatch(/circuit/);
    await sleep(150);
    expect((await client.echo({ message: "recovered" })).message).toBe("recovered");
    expect((await client.echo({ message: "and stays closed" })).message).toBe("and stays closed");
  });

  it("keeps the circuit closed when the service answers with non-transient errors", async () => {
    const { address } = await startEcho();
    const client = echoClient(address, { breakerThreshold: 2 });
    for (let i = 0; i < 4; i++)
      await rejection(client.echoOnce({ message: "x", failWith: "invalid_argument" }));
    expect((await client.echoOnce({ message: "ok" })).message).toBe("ok");
  });

  it("cancels a unary call when the caller's signal aborts", async () => {
    const { address, state } = await startEcho();
    const abort = new AbortController();
    const pending = echoClient(address).echo({ message: "x", delayMs: 2_000 }, { signal: abort.signal });
    await expect.poll(() => state.calls.length).toBe(1);
    abort.abort();
    expect((await rejection(within(pending, 1_000))).code).toBe("cancelled");
    await expect.poll(() => state.calls[0]?.context.signal.aborted).toBe(true);
  });

  it("does not call at all when the caller's signal has already aborted", async () => {
    const { address, state } = await startEcho();
    const error = await rejection(
      echoClient(address).echoOnce({ message: "x" }, { signal: AbortSignal.abort() }),
    );
    expect(error.code).toBe("cancelled");
    expect(state.calls).toEqual([]);
  });

  it("leaves no listener on a signal shared by many calls", async () => {
    const { address } = await startEcho();
    const client = echoClient(address);
    const shared = new AbortController();
    for (let i = 0; i < 12; i++) await client.echo({ message: `call ${i}` }, { signal: shared.signal });
    await rejection(client.echoOnce({ message: "x", failWith: "not_found" }, { signal: shared.signal }));
    expect(getEventListeners(shared.signal, "abort")).toEqual([]);
  });

  it("gives a stream the deadline it sets, and none by default", async () => {
    const { address, state } = await startEcho();
    const client = echoClient(address);
    for await (const _ of client.echoStream({ message: "x", count: 1 }, { timeoutMs: 1_000 }));
    for await (const _ of client.echoStream({ message: "x", count: 1 }));
    expect(state.calls[0]?.context.deadline).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(state.calls[1]?.context.deadline).toBeUndefined();
  });

  it("never lets a stream outlive the deadline of the context it runs in", async () => {
    const { address, state } = await startEcho();
    const client = echoClient(address);
    const inherited = Date.now() + 500;
    await runWithContext({ deadline: inherited, requestId: "req-s" }, async () => {
      for await (const _ of client.echoStream({ message: "x", count: 1 }));
    });
    expect(state.calls[0]?.context.deadline).toBeLessThanOrEqual(inherited + 100);
    expect(state.calls[0]?.requestId).toBe("req-s");
  });

  it("streams every item in order", async () => {
    const { address } = await startEcho();
    const items: { message: string; index: number }[] = [];
    for await (const item of echoClient(address).echoStream({ message: "tick", count: 50 })) items.push(item);
    expect(items.map((item) => item.index)).toEqual([...Array(50).keys()]);
    expect(items.every((item) => item.message === "tick")).toBe(true);
  });

  it("fails a stream before its first item with the handler's error", async () => {
    const { address, state } = await startEcho();
    state.streamFailAfter = 0;
    const items: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const item of echoClient(address).echoStream({ message: "x", count: 3 })) items.push(item);
      })(),
    );
    expect(error.code).toBe("not_found");
    expect(items).toEqual([]);
  });

  it("delivers the items before a stream's failure, then the failure as a ServiceError", async () => {
    const { address, state } = await startEcho();
    state.streamFailAfter = 2;
    const items: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const item of echoClient(address).echoStream({ message: "x", count: 5 }))
          items.push(item.index);
      })(),
    );
    expect(items).toEqual([0, 1]);
    expect(error.code).toBe("not_found");
    expect(error.message).toBe("no item 2");
  });

  it("stops the server's generator when the client stops reading", async () => {
    const { address, state } = await startEcho();
    const items: number[] = [];
    for await (const item of echoClient(address).echoStream({ message: "endless", count: 0 })) {
      items.push(item.index);
      if (items.length === 3) break;
    }
    expect(items).toEqual([0, 1, 2]);
    await within(state.streamFinished.promise, 2_000);
    await expect.poll(() => state.calls[0]?.context.signal.aborted).toBe(true);
  });

  it("ends a stream quietly when the caller aborts it", async () => {
    const { address, state } = await startEcho();
    const abort = new AbortController();
    const items: number[] = [];
    for await (const item of echoClient(address).echoStream(
      { message: "endless", count: 0 },
      { signal: abort.signal },
    )) {
      items.push(item.index);
      if (items.length === 2) abort.abort();
    }
    expect(items.length).toBeGreaterThanOrEqual(2);
    await within(state.streamFinished.promise, 2_000);
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

  it("times a cancelled stream as CANCELLED", async () => {
    const { address, state, metrics } = await startEcho();
    for await (const item of echoClient(address).echoStream({ message: "x", count: 0 }))
      if (item.index === 1) break;
    await within(state.streamFinished.promise, 2_000);
    await expect
      .poll(() => metrics.registry.getSingleMetricAsString("rpc_server_duration_seconds"))
      .toMatch(
        /rpc_server_duration_seconds_count\{(?=[^}]*method="EchoStream")(?=[^}]*code="CANCELLED")[^}]*\} 1/,
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
