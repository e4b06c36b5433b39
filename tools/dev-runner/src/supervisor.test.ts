import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "./ports.ts";
import { isAlive } from "./processes.ts";
import type { ServiceStatus } from "./service-status.ts";
import { describeExit, superviseService, type Supervisor } from "./supervisor.ts";

const FIXTURES = {
  "ready.mjs": `
    import { createServer } from "node:http";
    createServer((req, res) => res.writeHead(req.url === "/readyz" ? 200 : 404).end())
      .listen(Number(process.env.OPS_PORT), "127.0.0.1");
    console.log(JSON.stringify({ "log.level": "info", message: "listening", greeting: process.env.GREETING }));
    process.on("SIGTERM", () => process.exit(0));`,
  "config-error.mjs": `
    process.stderr.write("svc: invalid configuration:\\n  DATABASE_URL: is required\\n");
    process.exit(78);`,
  "crash.mjs": `process.exit(3);`,
  "stubborn.mjs": `
    process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
    console.log("up");
    setInterval(() => {}, 1000);`,
};

describe("supervisor", () => {
  let directory: string;
  const running: Supervisor[] = [];

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "tessera-supervisor-"));
    for (const [name, source] of Object.entries(FIXTURES)) await writeFile(join(directory, name), source);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((supervisor) => supervisor.stop()));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  async function supervise(script: keyof typeof FIXTURES, extra: { stopTimeoutMs?: number } = {}) {
    const opsPort = await findFreePort();
    const statuses: ServiceStatus[] = [];
    const lines: string[] = [];
    const supervisor = superviseService({
      name: "svc",
      command: process.execPath,
      args: [join(directory, script)],
      cwd: directory,
      env: { OPS_PORT: String(opsPort), GREETING: "hello" },
      port: 50_000,
      opsPort,
      onLine: (line) => lines.push(line),
      onStatus: (status) => statuses.push(status),
      backoff: { initialMs: 20, maxMs: 40, resetAfterMs: 30_000 },
      probeIntervalMs: 20,
      ...extra,
    });
    running.push(supervisor);
    supervisor.start();
    return { supervisor, statuses, lines };
  }

  const until = async (condition: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("timed out waiting");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it("is ready once /readyz answers 200, and stopped after stop()", async () => {
    const { supervisor, lines } = await supervise("ready.mjs");
    await until(() => supervisor.status.state === "ready");
    expect(supervisor.status.pid).toBeTypeOf("number");
    await until(() => lines.length > 0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: "listening", greeting: "hello" });
    const pid = supervisor.status.pid!;
    await supervisor.stop();
    expect(supervisor.status).toMatchObject({ state: "stopped", pid: undefined, restarts: 0 });
    expect(await isAlive(pid)).toBe(false);
  });

  it("leaves a service that exits with 78 crashed, showing what it printed", async () => {
    const { supervisor, statuses } = await supervise("config-error.mjs");
    await until(() => supervisor.status.state === "crashed");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(supervisor.status).toMatchObject({
      state: "crashed",
      restarts: 0,
      message: "svc: invalid configuration: DATABASE_URL: is required",
    });
    expect(statuses.map((status) => status.state)).toEqual(["starting", "crashed"]);
  });

  it("restarts a crashing service with backoff, counting restarts", async () => {
    const { supervisor, statuses } = await supervise("crash.mjs");
    await until(() => supervisor.status.restarts >= 3);
    const states = statuses.map((status) => status.state);
    expect(states.slice(0, 4)).toEqual(["starting", "crashed", "restarting", "restarting"]);
    expect(statuses.find((status) => status.state === "crashed")?.message).toBe("exited with code 3");
    await supervisor.stop();
    expect(supervisor.status.state).toBe("stopped");
  });

  it("kills a service that ignores SIGTERM once the stop timeout passes", async () => {
    const { supervisor, lines } = await supervise("stubborn.mjs", { stopTimeoutMs: 300 });
    await until(() => lines.includes("up"));
    const started = Date.now();
    await supervisor.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(lines).toContain("ignoring SIGTERM");
    expect(supervisor.status.state).toBe("stopped");
  });
});

describe("describeExit", () => {
  it("names the signal or the exit code", () => {
    expect(describeExit(null, "SIGKILL", undefined, [])).toBe("killed by SIGKILL");
    expect(describeExit(1, null, undefined, ["boom"])).toBe("exited with code 1");
    expect(describeExit(78, null, undefined, [])).toBe("configuration error (exit code 78)");
  });
});
