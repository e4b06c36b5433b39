// Test support for the RPC tests (imported by tests only): an Echo server on a real port whose
// handlers record what they saw and fail on request, its clients, and what they need cleaned up.
// A test file calls `useEchoServers()` once, at its top.
import { EchoService } from "@tessera/contracts/testing/v1";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect } from "vitest";
import { currentContext } from "../context.ts";
import { ServiceError, type ErrorCode } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { createMetrics, type Metrics } from "../metrics.ts";
import { createClient, type Client, type ClientOptions } from "./client.ts";
import { createRpcServer, type CallContext, type RpcServer, type ServiceImpl } from "./server.ts";

export const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** What the Echo handlers saw, and knobs to make them fail. */
export interface EchoState {
  calls: { method: string; context: CallContext; requestId?: string; traceparent?: string }[];
  /** Echo fails with `unavailable` while this is above zero, counting down. */
  failFirst: number;
  /** Settles when an EchoStream generator finishes (its `finally` ran). */
  streamFinished: PromiseWithResolvers<void>;
  /** Streams at most this many items before throwing `not_found`. */
  streamFailAfter?: number;
}

/** A refusal with every kind of detail the kit carries (`failWith: "detailed"`). */
export const detailedError = new ServiceError("failed_precondition", "the echo cannot be sent", {
  reason: "echo-refused",
  metadata: { limit: "3" },
  fieldViolations: [
    { field: "message", description: "must not be empty" },
    { field: "lines[1].quantity", description: "must be 1 to 99" },
  ],
  preconditionViolations: [{ type: "stock", subject: "SKU-1", description: "out of stock" }],
  retryDelayMs: 2_500,
});

function fail(failWith: string): never {
  // "crash" stands for a bug or a driver error: something that is not a ServiceError.
  if (failWith === "crash") throw new Error("connect ECONNREFUSED 10.0.0.5:5432 password=hunter2");
  if (failWith === "detailed") throw detailedError;
  throw new ServiceError(failWith as ErrorCode, `failed with ${failWith}`);
}

export function echoHandlers(
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
export function captureLog() {
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

/** What a test started, closed after it, newest first. */
export const cleanups: (() => Promise<void> | void)[] = [];

/** Registers the hook of a test file that closes what each test started. */
export function useEchoServers(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

export interface EchoServer {
  rpc: RpcServer;
  address: string;
  state: EchoState;
  metrics: Metrics;
  lines: Record<string, unknown>[];
}

export async function startEcho(forward?: () => Client<typeof EchoService>): Promise<EchoServer> {
  const state: EchoState = { calls: [], failFirst: 0, streamFinished: Promise.withResolvers() };
  const { log, lines } = captureLog();
  const metrics = createMetrics("echo");
  const rpc = createRpcServer({ log, metrics });
  rpc.add(EchoService, echoHandlers(state, forward));
  const port = await rpc.listen("127.0.0.1:0");
  cleanups.push(() => rpc.close(100));
  return { rpc, address: `127.0.0.1:${port}`, state, metrics, lines };
}

export function echoClient(address: string, options: ClientOptions = {}): Client<typeof EchoService> {
  const client = createClient(EchoService, address, options);
  cleanups.push(() => client.close());
  return client;
}

/** Awaits a promise that must reject with a ServiceError, and returns it. */
export async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  const error: unknown = await promise.then(
    () => new Error("expected the call to fail"),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => Promise.reject(new Error(`did not settle within ${ms} ms`))),
  ]);
}
