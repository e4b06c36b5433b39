import { consecutiveCrashes, DEFAULT_BACKOFF, restartDelay, type BackoffPolicy } from "./backoff.ts";
import type { EmbeddedPostgres } from "./embedded-postgres.ts";

export interface PostgresSupervisorOptions {
  /** The server as first started. */
  first: EmbeddedPostgres;
  /** Starts the server again on the same data directory and port (it recovers from its WAL). */
  start: () => Promise<EmbeddedPostgres>;
  /** What happens, for the user: an unexpected exit, a restart, a failed restart. */
  progress: (text: string) => void;
  /** Where the server logs, named when it exits unexpectedly. */
  logFile?: string;
  /** Each server started after the first, with the one it replaces (for the run lock). */
  onRestarted?: (server: EmbeddedPostgres, previous: EmbeddedPostgres) => void;
  backoff?: BackoffPolicy;
}

export interface PostgresSupervisor {
  /** The server running now; undefined between an unexpected exit and its restart. */
  readonly server: EmbeddedPostgres | undefined;
  readonly restarts: number;
  /** No more restarts; stops the running server (fast shutdown) and waits for it. Idempotent. */
  stop(): Promise<void>;
  /** No more restarts, at once; whatever runs is left to be killed. Resolves once it exited. */
  halt(): Promise<void>;
}

/**
 * Keeps the embedded PostgreSQL running: when the server exits without being asked to (killed,
 * crashed), it is started again on the same directory and port, where it recovers from its
 * write-ahead log, and the services' connection pools reconnect by themselves. Restarts back off
 * as the services' do (0.5 s doubling to 10 s, starting over after 30 s up), and so do failed
 * starts, so a server that keeps crashing is not restarted in a tight loop.
 */
export function supervisePostgres(options: PostgresSupervisorOptions): PostgresSupervisor {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let server: EmbeddedPostgres | undefined = options.first;
  let last = options.first;
  let startedAt = Date.now();
  let crashes = 0;
  let restarts = 0;
  let halted = false;
  let timer: NodeJS.Timeout | undefined;
  let starting: Promise<void> | undefined;

  const watch = (running: EmbeddedPostgres) => {
    void running.exited.then((reason) => {
      if (halted || server !== running) return;
      server = undefined;
      crashes = consecutiveCrashes(crashes, Date.now() - startedAt, backoff);
      const delay = restartDelay(crashes, backoff);
      const log = options.logFile ? `; see ${options.logFile}` : "";
      options.progress(
        `PostgreSQL exited unexpectedly (${reason})${log}; restarting in ${seconds(delay)} s (it recovers from its write-ahead log)`,
      );
      schedule(delay);
    });
  };

  const schedule = (delay: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      starting = restart().finally(() => (starting = undefined));
    }, delay);
  };

  const restart = async () => {
    let next: EmbeddedPostgres;
    try {
      next = await options.start();
    } catch (error) {
      if (halted) return;
      crashes++;
      const delay = restartDelay(crashes, backoff);
      const reason = (error as Error).message.split("\n").slice(0, 3).join(" ");
      options.progress(`PostgreSQL did not restart: ${reason}; trying again in ${seconds(delay)} s`);
      return schedule(delay);
    }
    if (halted) return next.stop();
    server = next;
    startedAt = Date.now();
    restarts++;
    options.onRestarted?.(next, last);
    last = next;
    options.progress(`PostgreSQL restarted (pid ${next.pid}); the services reconnect by themselves`);
    watch(next);
  };

  const halt = async () => {
    halted = true;
    clearTimeout(timer);
    await starting;
    await server?.exited;
  };

  watch(options.first);
  return {
    get server() {
      return server;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      halted = true;
      clearTimeout(timer);
      await starting;
      await server?.stop();
    },
    halt,
  };
}

const seconds = (ms: number) => (ms / 1_000).toFixed(1);
