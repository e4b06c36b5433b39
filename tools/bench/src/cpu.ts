import { readdir, readFile } from "node:fs/promises";

/** CPU time (user + system, ms) each named process had used when read; a process gone since reads 0. */
export type CpuSnapshot = Map<string, number>;

/** Clock ticks per second of /proc/<pid>/stat: 100 on every Linux build this runs on (USER_HZ). */
const ticksPerSecond = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime, ticks. */
  own: number;
  /** cutime + cstime: children that exited and were waited for, ticks. */
  children: number;
}

async function procStat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (!text) return undefined;
  // The command name (field 2) may hold spaces and parentheses: the fields after it start at the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const field = (n: number) => Number(fields[n - 3]);
  return { ppid: field(4), own: field(14) + field(15), children: field(16) + field(17) };
}

/**
 * A PostgreSQL server's CPU time: the postmaster, its live backends and background processes, and
 * the backends that already exited (counted in the postmaster's children time once reaped).
 */
async function serverCpuTicks(postmasterPid: number): Promise<number> {
  const postmaster = await procStat(postmasterPid);
  if (!postmaster) return 0;
  let ticks = postmaster.own + postmaster.children;
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = await procStat(pid);
    if (stat?.ppid === postmasterPid) ticks += stat.own;
  }
  return ticks;
}

/**
 * Reads the CPU time of the system's processes: each service by its pid, and PostgreSQL (all its
 * processes) by its postmaster's pid. Two reads around a run give the CPU each spent on it, which
 * depends far less on what else the machine does than latency does.
 *
 * @example
 *   const before = await readCpu({ orders: 1234 }, postmasterPid);
 */
export async function readCpu(
  services: Record<string, number>,
  postmasterPid?: number,
): Promise<CpuSnapshot> {
  const snapshot: CpuSnapshot = new Map();
  for (const [name, pid] of Object.entries(services)) {
    const stat = await procStat(pid);
    snapshot.set(name, ((stat?.own ?? 0) * 1_000) / ticksPerSecond);
  }
  if (postmasterPid !== undefined)
    snapshot.set("postgres", ((await serverCpuTicks(postmasterPid)) * 1_000) / ticksPerSecond);
  return snapshot;
}

/** CPU ms per order for each process between two reads, and their sum; largest first. */
export function cpuPerOrder(before: CpuSnapshot, after: CpuSnapshot, orders: number): [string, number][] {
  const rows = [...after].map(([name, ms]): [string, number] => [
    name,
    (ms - (before.get(name) ?? 0)) / Math.max(orders, 1),
  ]);
  rows.sort((a, b) => b[1] - a[1]);
  return [["total", rows.reduce((sum, [, ms]) => sum + ms, 0)], ...rows];
}
