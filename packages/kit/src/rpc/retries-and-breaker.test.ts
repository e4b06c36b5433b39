import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { echoClient, rejection, startEcho, useEchoServers } from "./echo-server.fixture.ts";

useEchoServers();

describe("RPC client retries and circuit breaker", () => {
  it("does not retry a call that ran out of its deadline, nor count it more than once against the breaker", async () => {
    const { address, state } = await startEcho();
    const client = echoClient(address, { breakerThreshold: 2, breakerHalfOpenAfterMs: 60_000 });
    await rejection(client.echo({ message: "x", delayMs: 3_000 }, { timeoutMs: 500 }));
    expect(state.calls).toHaveLength(1);
    // One slow call is one failure: the breaker (threshold 2) is still closed.
    expect((await client.echo({ message: "still there" })).message).toBe("still there");
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
    // It says when the circuit lets a call through again: the gateway's Retry-After.
    expect(error.retryDelayMs).toBe(60_000);
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
});
