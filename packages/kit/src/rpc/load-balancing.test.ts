import { describe, expect, it } from "vitest";
import { channelTarget } from "./channel-target.ts";
import { echoClient, startEcho, useEchoServers } from "./echo-server.fixture.ts";

useEchoServers();

describe("RPC client load balancing over replicas", () => {
  it("dials a plain host:port as before, and balances a list or a resolver target", () => {
    expect(channelTarget("127.0.0.1:50054")).toEqual({ target: "127.0.0.1:50054", balanced: false });
    expect(channelTarget("orders:50054")).toEqual({ target: "orders:50054", balanced: false });
    expect(channelTarget("127.0.0.1:50054,127.0.0.1:50154")).toEqual({
      target: "ipv4:127.0.0.1:50054,127.0.0.1:50154",
      balanced: true,
    });
    expect(channelTarget("dns:///orders.tessera.svc:50054")).toEqual({
      target: "dns:///orders.tessera.svc:50054",
      balanced: true,
    });
  });

  it("spreads calls round-robin over every replica in the list", async () => {
    const replicas = [await startEcho(), await startEcho(), await startEcho()];
    const client = echoClient(replicas.map((replica) => replica.address).join(","));
    for (let i = 0; i < 60; i++) await client.echoOnce({ message: `call ${i}` });
    // Round-robin starts once each connection is ready; the first calls may all reach the first one.
    const counts = replicas.map((replica) => replica.state.calls.length);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(60);
    for (const count of counts) expect(count).toBeGreaterThanOrEqual(5);
  });

  it("keeps answering from the replicas left when one goes away", async () => {
    const [first, second] = [await startEcho(), await startEcho()];
    const client = echoClient(`${first.address},${second.address}`);
    for (let i = 0; i < 10; i++) await client.echo({ message: "warm" });
    await first.rpc.close(100);
    const before = second.state.calls.length;
    // Echo is idempotent: a call that met the closing replica is retried on the other.
    for (let i = 0; i < 20; i++)
      expect((await client.echo({ message: `after ${i}` })).message).toBe(`after ${i}`);
    expect(second.state.calls.length - before).toBeGreaterThanOrEqual(20);
  });
});
