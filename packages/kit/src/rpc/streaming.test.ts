import { describe, expect, it } from "vitest";
import { runWithContext } from "../context.ts";
import { echoClient, rejection, startEcho, useEchoServers, within } from "./echo-server.fixture.ts";

useEchoServers();

describe("RPC server streams", () => {
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

  it("fails every one of many concurrent streams that fail at once, none ending as if it succeeded", async () => {
    const { address, state } = await startEcho();
    state.streamFailAfter = 0;
    const client = echoClient(address);
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async () => {
        try {
          for await (const _ of client.echoStream({ message: "x", count: 3 }));
          return "ended";
        } catch (error) {
          return (error as { code?: string }).code;
        }
      }),
    );
    expect(new Set(outcomes)).toEqual(new Set(["not_found"]));
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
});
