import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { runWithContext } from "../context.ts";
import {
  echoClient,
  rejection,
  startEcho,
  traceparent,
  useEchoServers,
  within,
} from "./echo-server.fixture.ts";

// What a call carries to its handler and beyond: its deadline, its cancellation, its request id and
// trace context.

useEchoServers();

describe("RPC call context", () => {
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
});
