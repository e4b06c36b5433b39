import { createBackoff } from "./backoff.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";

/** One run of a periodic job; `signal` aborts when the service stops, so a long run can end early. */
export type PeriodicRun = (signal: AbortSignal) => Promise<unknown>;

export interface PeriodicJobOptions {
  /** Names the job in logs and in the `periodic_job_runs_total{job}` metric. */
  name: string;
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
  run: PeriodicRun;
  log: Logger;
  metrics: Metrics;
}

export interface PeriodicJob {
  /** Stops scheduling, aborts the run in progress through its signal, and waits for it to end. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs` — a sweep, a cleanup, a mailer. Runs never overlap (the next is
 * scheduled when one ends); a failing run is logged and counted, and the next waits by the kit's
 * backoff, from `intervalMs` up to a minute, until a run succeeds again. Prefer `service.every()`,
 * which starts the job once the service is up and stops it on shutdown.
 *
 * @example
 *   const job = startPeriodicJob({ name: "expiry-sweep", intervalMs: 5_000, run: () => sweep(), log, metrics });
 *   await job.stop();
 */
export function startPeriodicJob(options: PeriodicJobOptions): PeriodicJob {
  const { name, intervalMs, run, log } = options;
  const runs = options.metrics.counter(
    "periodic_job_runs_total",
    "Runs of periodic jobs, by job and outcome.",
    ["job", "outcome"],
  );
  const backoff = createBackoff({ initialMs: intervalMs, maxMs: Math.max(intervalMs, 60_000) });
  const aborter = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const once = async (): Promise<number> => {
    try {
      await run(aborter.signal);
      runs.inc({ job: name, outcome: "ok" });
      backoff.reset();
      return intervalMs;
    } catch (error) {
      if (aborter.signal.aborted) return intervalMs;
      runs.inc({ job: name, outcome: "failed" });
      const retryInMs = backoff.next();
      log.warn({ err: error, job: name, "retry.in_ms": retryInMs }, `${name} failed; trying again`);
      return retryInMs;
    }
  };
  const schedule = (delayMs: number) => {
    if (aborter.signal.aborted) return;
    timer = setTimeout(() => {
      running = once().then(schedule);
    }, delayMs);
  };
  schedule(intervalMs);

  return {
    async stop() {
      aborter.abort(new Error(`${name} is stopping`));
      clearTimeout(timer);
      await running;
    },
  };
}
