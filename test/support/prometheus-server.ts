import { spawn, type ChildProcess } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findFreePort } from "@tessera/dev-runner/ports";
import { waitUntil } from "./polling.ts";
import { createTempDir } from "./temp-dir.ts";

export interface PrometheusServer {
  url: string;
  /** An instant query's result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]>;
  stop(): Promise<void>;
}

/**
 * Debian's `prometheus` on 127.0.0.1, a free port and a data directory of its own, scraping
 * `targets` (host:port of ops servers) every second with the project's rules loaded.
 */
export async function startPrometheus(
  targets: readonly string[],
  rulesGlob: string,
): Promise<PrometheusServer> {
  const dir = await createTempDir("tessera-prometheus-");
  const port = await findFreePort();
  const config = [
    "global: { scrape_interval: 1s, evaluation_interval: 1s }",
    `rule_files: [${JSON.stringify(rulesGlob)}]`,
    "scrape_configs:",
    "  - job_name: tessera",
    `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config + "\n");
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  const url = `http://127.0.0.1:${port}`;
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(url + path);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  await waitUntil(
    "Prometheus to be ready",
    async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined),
    {
      timeoutMs: 30_000,
      intervalMs: 200,
    },
  ).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw new Error(`Prometheus did not start: ${log}`, { cause: error });
  });
  return {
    url,
    query: async (expr) =>
      (
        await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
          `/api/v1/query?query=${encodeURIComponent(expr)}`,
        )
      ).result,
    targets: async () =>
      (
        await api<{ activeTargets: { scrapeUrl: string; health: string; lastError: string }[] }>(
          "/api/v1/targets",
        )
      ).activeTargets,
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
