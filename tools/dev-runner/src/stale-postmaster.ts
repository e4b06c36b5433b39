import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { commandLineOf, isAlive, terminate } from "./processes.ts";

/**
 * Clears what a server that never shut down left in its data directory, so that the next one
 * starts: a run killed without a chance to stop its server, or a postmaster that crashed or was
 * killed. Its `postmaster.pid` stays behind, and maybe the server itself. Ours (same binary, same
 * directory) is shut down; a file naming a dead or unrelated process is removed. A live postmaster
 * we cannot identify is left for PostgreSQL to judge: removing its lock could let two servers write
 * one directory. A dead postmaster's children outlive it until they notice (a long query: seconds)
 * and keep its shared memory attached, and PostgreSQL refuses to start while they do
 * ("pre-existing shared memory block is still in use"), so they are stopped too.
 */
export async function clearStalePostmaster(dataDir: string, progress: (text: string) => void): Promise<void> {
  const lockFile = join(dataDir, "postmaster.pid");
  const lines = (await readFile(lockFile, "utf8").catch(() => "")).split("\n");
  const pid = Number.parseInt(lines[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (await isAlive(pid)) {
    const command = (await commandLineOf(pid)) ?? "";
    if (command.includes("postgres") && !command.includes(dataDir)) return;
    if (command.includes("postgres")) {
      progress(`stopping the PostgreSQL an earlier run left running (pid ${pid})…`);
      await terminate(pid, { signal: "SIGINT", group: false, timeoutMs: 10_000 });
    }
  }
  if (!(await isAlive(pid)) || !((await commandLineOf(pid)) ?? "").includes("postgres")) {
    await stopOrphans(sharedMemoryKey(lines), progress);
    await rm(lockFile, { force: true });
  }
}

/** The System V shared memory key on the lock file's seventh line ("  5432001    98304"). */
function sharedMemoryKey(lines: readonly string[]): number | undefined {
  const key = Number.parseInt(lines[6]?.trim().split(/\s+/)[0] ?? "", 10);
  return Number.isInteger(key) && key > 0 ? key : undefined;
}

/**
 * Stops the processes still attached to the dead server's segment: SIGQUIT, PostgreSQL's own
 * "exit at once" (what the postmaster sends its children after a crash), then SIGKILL after 5 s.
 * Found through /proc (Linux); elsewhere PostgreSQL refuses to start until they are gone, and the
 * runner tries again.
 */
async function stopOrphans(key: number | undefined, progress: (text: string) => void): Promise<void> {
  if (key === undefined || (await attachments(key)) === 0) return;
  const orphans = await processesAttachedTo(`/SYSV${key.toString(16).padStart(8, "0")}`);
  if (orphans.length === 0) return;
  progress(`stopping ${orphans.length} process(es) left by a PostgreSQL server that died…`);
  await Promise.all(
    orphans.map((pid) => terminate(pid, { signal: "SIGQUIT", group: false, timeoutMs: 5_000 })),
  );
}

/** How many processes have the segment attached (none when it is gone); undefined where unknown. */
async function attachments(key: number): Promise<number | undefined> {
  const table = await readFile("/proc/sysvipc/shm", "utf8").catch(() => undefined);
  if (table === undefined) return undefined;
  // "key shmid perms size cpid lpid nattch …", one segment a line after the header.
  const row = table
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .find((columns) => Number(columns[0]) === key);
  return row ? Number(row[6]) : 0;
}

async function processesAttachedTo(segment: string): Promise<number[]> {
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const name = await readFile(`/proc/${entry}/comm`, "utf8").catch(() => "");
    if (name.trim() !== "postgres") continue;
    const maps = await readFile(`/proc/${entry}/maps`, "utf8").catch(() => "");
    if (maps.includes(segment)) found.push(Number(entry));
  }
  return found;
}
