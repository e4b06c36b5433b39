import { EchoedSchema } from "@tessera/contracts/testing/v1";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createDb, type Db } from "../../db.ts";
import { publish } from "../outbox.ts";
import { waitFor } from "../../wait-for.ts";

export { waitFor };

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

/** A service process of the contract tests, on fixed ports so it can be restarted in place. */
export class ServiceProcess {
  readonly #script: string;
  readonly #env: Record<string, string>;
  readonly grpcPort: number;
  readonly opsPort: number;
  #child: ChildProcess | undefined;
  output = "";

  constructor(script: string, env: Record<string, string>, ports: { grpc: number; ops: number }) {
    this.#script = fileURLToPath(new URL(script, import.meta.url));
    this.#env = env;
    this.grpcPort = ports.grpc;
    this.opsPort = ports.ops;
  }

  static async create(script: string, env: Record<string, string>): Promise<ServiceProcess> {
    return new ServiceProcess(script, env, { grpc: await freePort(), ops: await freePort() });
  }

  get address(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [this.#script], {
      env: {
        ...process.env,
        ...this.#env,
        GRPC_HOST: "127.0.0.1",
        GRPC_PORT: String(this.grpcPort),
        OPS_PORT: String(this.opsPort),
        LOG_LEVEL: process.env["CONTRACT_LOG_LEVEL"] ?? "warn",
        EVENTS_RETRY_BASE_MS: "5",
        EVENTS_ACK_WAIT_MS: "2000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    await waitFor(
      `${this.#script} to be ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${this.output}`);
        const response = await fetch(`http://127.0.0.1:${this.opsPort}/readyz`);
        return response.ok;
      },
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${this.output}`);
    });
  }

  /** SIGKILL: no drain, no clean shutdown — a crash. */
  async crash(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await exited;
  }
}

export interface EchoedEvent {
  subject: string;
  sequence: number;
  payload?: string;
}

/** Writes events into the producer's outbox, `perTransaction` to a transaction. */
export async function publishEchoed(
  db: Db,
  events: readonly EchoedEvent[],
  perTransaction = 100,
): Promise<void> {
  for (let i = 0; i < events.length; i += perTransaction) {
    await db.tx(async (tx) => {
      for (const event of events.slice(i, i + perTransaction)) {
        await publish(
          tx,
          "testing",
          EchoedSchema,
          { subject: event.subject, sequence: BigInt(event.sequence), payload: event.payload ?? "" },
          { subject: event.subject },
        );
      }
    });
  }
}

/** `count` events spread round-robin over `subjects` subjects, numbered per subject from `from`. */
export function echoedEvents(count: number, subjects = 10, from = 1): EchoedEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    subject: `subject-${i % subjects}`,
    sequence: from + Math.floor(i / subjects),
  }));
}

export function openDb(url: string): Db {
  return createDb({ connectionString: url, max: 4 });
}
