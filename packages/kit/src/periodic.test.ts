import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { startPeriodicJob } from "./periodic.ts";
import { waitFor } from "./wait-for.ts";

const log = createLogger({ service: "periodic-test", level: "silent" });

async function runsCounted(metrics: ReturnType<typeof createMetrics>, outcome: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric("periodic_job_runs_total")?.get();
  return metric?.values.find((value) => value.labels["outcome"] === outcome)?.value ?? 0;
}

describe("startPeriodicJob", () => {
  it("never overlaps runs, however long one takes", async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const job = startPeriodicJob({
      name: "slow",
      intervalMs: 1,
      log,
      metrics: createMetrics("periodic-test"),
      run: async () => {
        active++;
        most = Math.max(most, active);
        await sleep(20);
        active--;
        runs++;
      },
    });
    await waitFor("five runs", () => Promise.resolve(runs >= 5));
    await job.stop();
    expect(most).toBe(1);
  });

  it("logs and counts a failing run, and keeps running", async () => {
    const metrics = createMetrics("periodic-test");
    let calls = 0;
    const job = startPeriodicJob({
      name: "flaky",
      intervalMs: 1,
      log,
      metrics,
      run: () => {
        calls++;
        return calls === 1 ? Promise.reject(new Error("database down")) : Promise.resolve();
      },
    });
    await waitFor("a run after the failure", () => Promise.resolve(calls >= 3));
    await job.stop();
    expect(await runsCounted(metrics, "failed")).toBe(1);
    expect(await runsCounted(metrics, "ok")).toBeGreaterThanOrEqual(2);
  });

  it("stops: aborts the run in progress through its signal, waits for it, and runs no more", async () => {
    let started = 0;
    let aborted = false;
    const job = startPeriodicJob({
      name: "long",
      intervalMs: 1,
      log,
      metrics: createMetrics("periodic-test"),
      run: async (signal) => {
        started++;
        await sleep(60_000, undefined, { signal }).catch(() => (aborted = true));
      },
    });
    await waitFor("a run", () => Promise.resolve(started === 1));
    await job.stop();
    expect(aborted).toBe(true);
    await sleep(20);
    expect(started).toBe(1);
  });
});
