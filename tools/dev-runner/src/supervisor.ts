import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { consecutiveCrashes, DEFAULT_BACKOFF, restartDelay, type BackoffPolicy } from "./backoff.ts";
import { signalProcess, track, untrack } from "./processes.ts";
import { isReady } from "./readiness.ts";
import type { ServiceState, ServiceStatus } from "./service-status.ts";

/** The exit code of a configuration error (EX_CONFIG): restarting cannot fix it. */
export const CONFIG_ERROR_EXIT = 78;

export interface SupervisorOptions {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** The port shown for the service (gRPC, or HTTP for the gateway). */
  port: number | undefined;
  opsPort: number;
  onLine: (line: string, stream: "stdout" | "stderr") => void;
  onStatus: (status: ServiceStatus) => void;
  onSpawn?: (pid: number) => void;
  onExit?: (pid: number) => void;
  backoff?: BackoffPolicy;
  /** SIGTERM first; SIGKILL when the service has not exited after this long. */
  stopTimeoutMs?: number;
  probe?: (opsPort: number) => Promise<boolean>;
  probeIntervalMs?: number;
}

export interface Supervisor {
  readonly status: ServiceStatus;
  start(): void;
  /** Stops the service (and cancels a pending restart); the status ends `stopped`. */
  stop(): Promise<void>;
  /** SIGKILLs the process group at once. */
  kill(): void;
}

interface Run {
  pid: number | undefined;
  startedAt: number;
  closed: boolean;
  exited: Promise<void>;
  stderrTail: string[];
}

/**
 * Runs one service as its own process group and keeps it running: tracks readiness through its
 * `/readyz`, restarts it after a crash with exponential backoff, and leaves it crashed when it
 * exits with 78 (a configuration error).
 */
export function superviseService(options: SupervisorOptions): Supervisor {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const probe = options.probe ?? isReady;
  let status: ServiceStatus = {
    name: options.name,
    state: "starting",
    pid: undefined,
    port: options.port,
    opsPort: options.opsPort,
    restarts: 0,
    message: undefined,
    since: Date.now(),
  };
  let current: Run | undefined;
  let crashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let killed = false;

  const set = (state: ServiceState, patch: Partial<ServiceStatus> = {}) => {
    status = { ...status, ...patch, state, since: state === status.state ? status.since : Date.now() };
    options.onStatus(status);
  };

  const spawnChild = () => {
    const run = spawnRun(options, onChildExit);
    current = run;
    set(status.restarts > 0 ? "restarting" : "starting", { pid: run.pid });
    void watchReadiness(run);
  };

  const watchReadiness = async (run: Run) => {
    while (!run.closed && !stopping && !killed) {
      if (await probe(options.opsPort)) {
        if (!run.closed && !stopping && !killed && current === run) set("ready", { message: undefined });
        return;
      }
      await sleep(options.probeIntervalMs ?? 250);
    }
  };

  const onChildExit = (run: Run, reason: string, code: number | null) => {
    if (stopping || killed) return set("stopped", { pid: undefined, message: undefined });
    if (code === CONFIG_ERROR_EXIT) return set("crashed", { pid: undefined, message: reason });
    crashes = consecutiveCrashes(crashes, Date.now() - run.startedAt, backoff);
    const delay = restartDelay(crashes, backoff);
    set("crashed", { pid: undefined, message: reason });
    set("restarting", { message: `${reason}; restarting in ${(delay / 1000).toFixed(1)} s` });
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      status = { ...status, restarts: status.restarts + 1, message: `last run ${reason}` };
      spawnChild();
    }, delay);
  };

  return {
    get status() {
      return status;
    },
    start() {
      if (current === undefined && !stopping && !killed) spawnChild();
    },
    stop() {
      stopping ??= (async () => {
        clearTimeout(restartTimer);
        const run = current;
        if (run?.pid === undefined || run.closed)
          return set("stopped", { pid: undefined, message: undefined });
        signalProcess(run.pid, "SIGTERM", true);
        const timeout = sleep(options.stopTimeoutMs ?? 10_000, "timeout" as const, { ref: false });
        if ((await Promise.race([run.exited, timeout])) === "timeout")
          signalProcess(run.pid, "SIGKILL", true);
        await run.exited;
      })();
      return stopping;
    },
    kill() {
      killed = true;
      clearTimeout(restartTimer);
      if (current?.pid !== undefined && !current.closed) signalProcess(current.pid, "SIGKILL", true);
    },
  };
}

/** Starts one run of the service in its own process group; reports its exit exactly once. */
function spawnRun(
  options: SupervisorOptions,
  onExit: (run: Run, reason: string, code: number | null) => void,
): Run {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    // Its own process group: signals from the terminal reach the runner only, and stopping the
    // group reaches anything the service started.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run: Run = {
    pid: child.pid,
    startedAt: Date.now(),
    closed: false,
    exited: Promise.resolve(),
    stderrTail: [],
  };
  if (run.pid !== undefined) {
    track({ pid: run.pid, group: true, killSignal: "SIGKILL" });
    options.onSpawn?.(run.pid);
  }
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", (line) =>
    options.onLine(line, "stdout"),
  );
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on("line", (line) => {
    run.stderrTail.push(line);
    if (run.stderrTail.length > 8) run.stderrTail.shift();
    options.onLine(line, "stderr");
  });
  run.exited = new Promise((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (run.closed) return;
      run.closed = true;
      if (run.pid !== undefined) {
        untrack(run.pid);
        options.onExit?.(run.pid);
      }
      resolve();
      onExit(run, describeExit(code, signal, error, run.stderrTail), code);
    };
    // A failed spawn (no pid) reports only 'error'; otherwise 'close' follows with the exit.
    child.once("error", (error) => {
      if (child.pid === undefined) finish(null, null, error);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });
  return run;
}

/** Why a service exited, in a few words; for a configuration error, what it printed. */
export function describeExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  error: Error | undefined,
  stderrTail: readonly string[],
): string {
  if (error) return `could not start: ${error.message}`;
  if (signal) return `killed by ${signal}`;
  if (code === CONFIG_ERROR_EXIT) {
    const printed = stderrTail
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .join(" ");
    return printed || `configuration error (exit code ${CONFIG_ERROR_EXIT})`;
  }
  return `exited with code ${code ?? "?"}`;
}
