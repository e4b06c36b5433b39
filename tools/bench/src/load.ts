import { createRequire } from "node:module";

/** What we read of an autocannon result (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = ((options: Record<string, unknown>) => Promise<AutocannonResult>) & {
  track?: unknown;
};
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  failures: number;
}

/** `seconds` of load at `connections` against one URL on this machine, with a progress line every 2 s. */
export async function load(
  url: string,
  {
    seconds = 10,
    connections = 50,
    progress,
  }: { seconds?: number; connections?: number; progress: (line: string) => void },
): Promise<LoadResult> {
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url))
    throw new Error(`load only targets this machine: ${url}`);
  const started = Date.now();
  const ticker = setInterval(
    () => progress(`  … ${Math.round((Date.now() - started) / 1000)} s / ${seconds} s`),
    2_000,
  );
  try {
    const result = await autocannon({ url, connections, duration: seconds });
    return {
      requestsPerSecond: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      total: result.requests.total,
      failures: result.non2xx + result.errors + result.timeouts,
    };
  } finally {
    clearInterval(ticker);
  }
}

/** Resident set size of a process in MB, from /proc. */
export async function rssMb(pid: number): Promise<number | undefined> {
  const { readFile } = await import("node:fs/promises");
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
