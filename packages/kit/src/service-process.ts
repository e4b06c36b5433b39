import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

/** A TCP port free right now on 127.0.0.1, from the OS. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

export interface ServiceProcess {
  opsPort: number;
  /** What it printed, for failure messages. */
  output(): string;
  /** Freezes it (SIGSTOP): connected but answering nothing — a "slow" service. */
  pause(): void;
  resume(): void;
  /** Ends it (SIGKILL simulates a crash), waits for the exit and returns its code (null when killed). */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a service's `main` file as its own process — as in production; tests never import another
 * service's code — and waits until its ops port says ready.
 *
 * @example
 *   const cart = await startService(new URL("./main.ts", import.meta.url), { DATABASE_URL: database.url });
 */
export async function startService(main: URL | string, env: Record<string, string>): Promise<ServiceProcess> {
  const path = main instanceof URL ? fileURLToPath(main) : main;
  const name = basename(dirname(dirname(path)));
  const opsPort = await freePort();
  const child = spawn(process.execPath, [path], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env, OPS_PORT: String(opsPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const service: ServiceProcess = {
    opsPort,
    output: () => output,
    pause: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
    async kill(signal = "SIGTERM") {
      process.off("exit", killOnExit);
      if (!exited(child)) {
        const exit = once(child, "exit");
        // A paused process would hold a SIGTERM until resumed.
        child.kill("SIGCONT");
        child.kill(signal);
        await exit;
      }
      return child.exitCode;
    },
  };
  try {
    await waitUntilReady(child, opsPort, 60_000);
  } catch (error) {
    await service.kill("SIGKILL");
    throw new Error(`${name} did not become ready: ${String(error)}\n${output}`, { cause: error });
  }
  return service;
}

/**
 * A service with a gRPC port of its own on 127.0.0.1, and its address.
 *
 * @example
 *   const catalog = await startRpcService(new URL("../../catalog/src/main.ts", import.meta.url), {
 *     DATABASE_URL: database.url,
 *   });
 *   const client = createClient(CatalogService, catalog.address);
 */
export async function startRpcService(main: URL | string, env: Record<string, string>) {
  const grpcPort = await freePort();
  const service = await startService(main, { ...env, GRPC_HOST: "127.0.0.1", GRPC_PORT: String(grpcPort) });
  return { ...service, address: `127.0.0.1:${grpcPort}` };
}

export type RpcServiceProcess = Awaited<ReturnType<typeof startRpcService>>;

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitUntilReady(child: ChildProcess, opsPort: number, timeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (Date.now() < giveUpAt) {
    if (exited(child)) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
}
