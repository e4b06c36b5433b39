import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { commandLineOf, isAlive, terminate } from "./processes.ts";

export interface RecordedProcess {
  /** What it is, for messages: "catalog", "PostgreSQL". */
  name: string;
  pid: number;
  /** Text its command line contains, so a reused pid is never mistaken for ours. */
  marker: string;
  group: boolean;
  stopSignal: NodeJS.Signals;
}

interface LockFile {
  pid: number;
  command: string;
  processes: RecordedProcess[];
}

export interface RunLock {
  /** Remembers a process this run started, for the next run to stop should this one be killed. */
  record(process: RecordedProcess): void;
  forget(pid: number): void;
  release(): void;
}

export class RunLockedError extends Error {
  override readonly name = "RunLockedError";
}

/**
 * Claims a data directory for this run. A live runner holding it is an error; one that died
 * (SIGKILL, power cut) left its lock behind, and the processes recorded in it are stopped first,
 * so a hard-killed run never leaves a server holding the ports or the database.
 */
export async function acquireRunLock(
  directory: string,
  onProgress: (text: string) => void,
): Promise<RunLock> {
  const file = join(directory, "dev-runner.lock");
  const state: LockFile = {
    pid: process.pid,
    command: (await commandLineOf(process.pid)) ?? "",
    processes: [],
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, JSON.stringify(state));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
    }
    const previous = readLock(file);
    if (
      previous &&
      (await isAlive(previous.pid)) &&
      (await commandLineOf(previous.pid)) === previous.command
    ) {
      throw new RunLockedError(
        `another dev runner (pid ${previous.pid}) is using ${directory}: stop it, or give this one its own ` +
          `TESSERA_DATA_DIR and TESSERA_PORT_OFFSET`,
      );
    }
    await stopLeftovers(previous?.processes ?? [], onProgress);
    rmSync(file, { force: true });
  }
  const save = () => writeFileSync(file, JSON.stringify(state));
  let released = false;
  return {
    record(entry) {
      state.processes.push(entry);
      save();
    },
    forget(pid) {
      state.processes = state.processes.filter((entry) => entry.pid !== pid);
      if (!released) save();
    },
    release() {
      released = true;
      rmSync(file, { force: true });
    },
  };
}

async function stopLeftovers(
  processes: readonly RecordedProcess[],
  onProgress: (text: string) => void,
): Promise<void> {
  const stop =
    ({ name, pid, marker, group, stopSignal }: RecordedProcess) =>
    async () => {
      if (!(await isAlive(pid)) || !((await commandLineOf(pid)) ?? "").includes(marker)) return;
      onProgress(`stopping ${name} (pid ${pid}), left running by an earlier run that was killed…`);
      await terminate(pid, { signal: stopSignal, group, timeoutMs: 10_000 });
    };
  // Services (each a process group) first, then the database server they were using.
  await Promise.all(processes.filter((entry) => entry.group).map((entry) => stop(entry)()));
  await Promise.all(processes.filter((entry) => !entry.group).map((entry) => stop(entry)()));
}

function readLock(file: string): LockFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<LockFile>;
    if (typeof parsed.pid !== "number" || typeof parsed.command !== "string") return undefined;
    const processes = Array.isArray(parsed.processes) ? parsed.processes : [];
    return {
      pid: parsed.pid,
      command: parsed.command,
      processes: processes.map((entry) => ({ ...entry, name: entry.name ?? entry.marker })),
    };
  } catch {
    return undefined;
  }
}
