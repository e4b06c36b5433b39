import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./service-process.ts";
import { waitFor } from "./wait-for.ts";

/** The nats-server binary tests start; `NATS_SERVER_BIN` overrides. */
const binary = process.env["NATS_SERVER_BIN"] ?? "/usr/sbin/nats-server";

export interface NatsServer {
  url: string;
  port: number;
  /** SIGKILL: the broker dies without a goodbye, as when its node is lost. */
  kill(): Promise<void>;
  /**
   * Starts it again on the same port: with its store as it was, or with `emptyStore` on a new,
   * empty store directory — a broker that lost its volume, so every stream and consumer is gone.
   */
  restart(options?: { emptyStore?: boolean }): Promise<void>;
  /** Stops it and deletes its store directories. */
  stop(): Promise<void>;
  /** What it printed, for failure messages. */
  output(): string;
}

/**
 * A NATS server with JetStream of a test's own, on a free port with a store in a temporary
 * directory — for tests that kill or wipe the broker, which the shared one must never be.
 *
 * @example
 *   const nats = await startNatsServer();
 *   await nats.kill();
 *   await nats.restart({ emptyStore: true });
 */
export async function startNatsServer(): Promise<NatsServer> {
  const port = await freePort();
  const stores: string[] = [];
  let child: ChildProcess | undefined;
  let output = "";

  async function launch(emptyStore: boolean): Promise<void> {
    if (emptyStore || stores.length === 0) stores.push(await mkdtemp(join(tmpdir(), "tessera-nats-")));
    const store = stores.at(-1)!;
    const started = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    started.stdout?.on("data", keep);
    started.stderr?.on("data", keep);
    await waitFor(
      `nats-server on port ${port}`,
      async () => {
        if (started.exitCode !== null) throw new Error(`nats-server exited: ${output}`);
        return (await accepts(port)) && output.includes("Server is ready");
      },
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output}`, { cause: error });
    });
  }

  async function kill(): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, "exit");
    running.kill("SIGKILL");
    await exited;
  }

  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);
  await launch(true);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    kill,
    async restart({ emptyStore = false } = {}) {
      await kill();
      output = "";
      await launch(emptyStore);
    },
    async stop() {
      process.off("exit", killOnExit);
      await kill();
      await Promise.all(stores.map((store) => rm(store, { recursive: true, force: true })));
    },
    output: () => output,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const settle = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once("connect", () => settle(true));
    socket.once("error", () => settle(false));
  });
}
