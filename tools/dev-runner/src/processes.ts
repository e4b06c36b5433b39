import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export interface TrackedProcess {
  pid: number;
  /** Signal the whole process group (a service started `detached`) rather than the process. */
  group: boolean;
  /** What "kill at once" sends: SIGKILL for a service, SIGQUIT (immediate shutdown) for PostgreSQL. */
  killSignal: NodeJS.Signals;
}

const tracked = new Map<number, TrackedProcess>();
let exitHookInstalled = false;

/**
 * Remembers a process we started so that nothing outlives the runner: `killTrackedNow` (a second
 * Ctrl-C) and the process `exit` hook (any way out, including a crash of the runner) signal it.
 */
export function track(process_: TrackedProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", killTrackedNow);
  }
  tracked.set(process_.pid, process_);
}

export function untrack(pid: number): void {
  tracked.delete(pid);
}

/** Synchronously kills every process still tracked; safe inside an `exit` handler. */
export function killTrackedNow(): void {
  for (const { pid, group, killSignal } of tracked.values()) signalProcess(pid, killSignal, group);
  tracked.clear();
}

/** Sends a signal; false when the process (group) is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals, group = false): boolean {
  try {
    process.kill(group ? -pid : pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/** Whether a process exists and is not a zombie (someone else's, too: EPERM means it exists). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // "pid (comm) S …": the state letter follows the last ')'.
  return stat === undefined || stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** The command line of a running process, to tell ours from an unrelated one that reused its pid. */
export async function commandLineOf(pid: number): Promise<string | undefined> {
  const proc = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
  if (proc !== undefined) return proc.split("\0").join(" ").trim();
  return new Promise((resolve) => {
    execFile("ps", ["-o", "command=", "-p", String(pid)], (error, stdout) =>
      resolve(error ? undefined : stdout.trim() || undefined),
    );
  });
}

/** Waits until a process is gone; false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Stops a process we do not own a handle to: `signal`, then SIGKILL after `timeoutMs`. */
export async function terminate(
  pid: number,
  { signal, group, timeoutMs }: { signal: NodeJS.Signals; group: boolean; timeoutMs: number },
): Promise<void> {
  if (!signalProcess(pid, signal, group)) return;
  if (await waitForExit(pid, timeoutMs)) return;
  signalProcess(pid, "SIGKILL", group);
  await waitForExit(pid, 5_000);
}
