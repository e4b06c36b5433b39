import { EchoService } from "@tessera/contracts/testing/v1";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { accepts, echoService, get, useEchoServices } from "./echo-service.fixture.ts";
import { ServiceError } from "./errors.ts";

useEchoServices();

describe("createService stopping", () => {
  it("closes everything on stop: ports, database pool and clients", async () => {
    const service = await echoService();
    const { rpcPort, opsPort } = await service.start();
    const client = service.client(EchoService, `127.0.0.1:${rpcPort}`, { maxAttempts: 1 });
    expect((await client.echo({ message: "before" })).message).toBe("before");
    await service.stop();
    expect(await accepts(opsPort)).toBe(false);
    expect(await accepts(rpcPort)).toBe(false);
    expect(service.db.pool.ended).toBe(true);
    await expect(client.echo({ message: "after" })).rejects.toBeInstanceOf(ServiceError);
  });

  it("stops promptly even while an ops connection is mid-request", async () => {
    const service = await echoService();
    const { opsPort } = await service.start();
    const socket = connect(opsPort, "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n"); // headers never finished
    const started = Date.now();
    await service.stop();
    // An unfinished request would otherwise hold the close for the server's 60 s headers timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
    socket.destroy();
  });

  it("runs stop hooks once, in reverse order, after the RPC server drained", async () => {
    const service = await echoService();
    const order: string[] = [];
    service.onStop(() => {
      order.push("first registered");
    });
    service.onStop(async () => {
      await service.db.query("SELECT 1"); // the database is still open for hooks
      order.push("second registered");
    });
    service.onStop(() => {
      throw new Error("a failing hook does not stop the others");
    });
    await service.start();
    await service.stop();
    await service.stop();
    expect(order).toEqual(["second registered", "first registered"]);
  });

  it("answers not ready once stopping has begun", async () => {
    const service = await echoService();
    let resume!: () => void;
    service.onStop(() => new Promise<void>((resolve) => (resume = resolve)));
    const { opsPort } = await service.start();
    const stopping = service.stop();
    await expect.poll(() => typeof resume === "function").toBe(true);
    expect((await get(opsPort, "/readyz")).status).toBe(503);
    resume();
    await stopping;
  });

  it("leaves no signal handlers behind once stopped", async () => {
    const before = [process.listenerCount("SIGTERM"), process.listenerCount("SIGINT")];
    const service = await echoService();
    await service.start();
    expect(process.listenerCount("SIGTERM")).toBe(before[0]! + 1);
    await service.stop();
    expect([process.listenerCount("SIGTERM"), process.listenerCount("SIGINT")]).toEqual(before);
  });
});
