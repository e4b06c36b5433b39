import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A reference server the gateway hop is compared with, each part its own process like a service. */
export interface Reference {
  /** The URL a product read goes to. */
  url: string;
  pids: number[];
  stop(): Promise<void>;
}

/** A bare fastify hello-world: the ceiling of one HTTP hop on this machine. */
export async function startFastifyReference(): Promise<Reference> {
  const server = await startProcess("./hello-server.ts", [], {});
  return { url: `http://127.0.0.1:${server.port}/`, pids: [server.pid], stop: () => server.stop() };
}

/**
 * Moleculer as a second reference: moleculer-web → NATS (at `natsUrl`) → a service answering a
 * product from memory, in two processes and a namespace of their own.
 */
export async function startMoleculerReference(natsUrl: string, namespace: string): Promise<Reference> {
  const env = { NATS_URL: natsUrl, MOLECULER_NAMESPACE: namespace };
  const service = await startProcess("./moleculer-server.ts", ["service"], env);
  try {
    const gateway = await startProcess("./moleculer-server.ts", ["gateway"], env);
    return {
      url: `http://127.0.0.1:${gateway.port}/api/products/0192f0c8-7d3e-7b5a-9a41-3c2d1e0f9a8b`,
      pids: [gateway.pid, service.pid],
      stop: async () => {
        await gateway.stop();
        await service.stop();
      },
    };
  } catch (error) {
    await service.stop();
    throw error;
  }
}

interface Started {
  pid: number;
  port: string | undefined;
  stop: () => Promise<void>;
}

/** Runs `script` (beside this file) and waits, at most 30 s, for its "ready <port>" line. */
async function startProcess(script: string, args: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(
    process.execPath,
    ["--max-semi-space-size=8", fileURLToPath(new URL(script, import.meta.url)), ...args],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } },
  );
  const stop = () => stopChild(child);
  try {
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<string | undefined>((resolve, reject) => {
      lines.on("line", (line) => {
        const match = /^ready ?(\d*)/.exec(line);
        if (match) resolve(match[1] || undefined);
      });
      child.once("exit", (code) => reject(new Error(`${script} ${args.join(" ")} exited with code ${code}`)));
      setTimeout(() => reject(new Error(`${script} ${args.join(" ")} not ready in 30 s`)), 30_000).unref();
    });
    return { pid: child.pid!, port: await ready, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
