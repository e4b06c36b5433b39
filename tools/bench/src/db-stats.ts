import { createDb } from "@tessera/kit";
import { performance } from "node:perf_hooks";

/** Cumulative counters of one PostgreSQL server, read at one instant. */
export interface DbSnapshot {
  /** When it was read (ms, performance.now()). */
  at: number;
  /** The next transaction id: every transaction that writes takes one, read-only ones do not. */
  nextXid: bigint;
  /** pg_stat_database.xact_commit per database. */
  commits: Map<string, number>;
  /** pg_stat_statements calls per database (top-level statements: one round trip each); undefined without the extension. */
  statements: Map<string, number> | undefined;
  /** pg_stat_statements_info.dealloc: entries evicted, whose calls the deltas would miss. */
  evicted: number | undefined;
  /** WAL fsyncs: pg_stat_io (object 'wal') from PostgreSQL 18, pg_stat_wal.wal_sync before. */
  walFsyncs: number;
}

/** A run's database work divided by its confirmed orders. */
export interface DbWork {
  orders: number;
  /** Between the two reads. */
  windowSeconds: number;
  writeTransactions: number;
  /** undefined when pg_stat_statements is not loaded. */
  roundTrips: number | undefined;
  commits: number;
  walFsyncs: number;
  /** Per database (service): commits and round trips per order. */
  perDatabase: { database: string; commits: number; roundTrips: number | undefined }[];
  /** pg_stat_statements evicted entries during the run: round trips undercounted when > 0. */
  evicted: number;
}

export interface DbStatsReader {
  read(): Promise<DbSnapshot>;
  /** Whether pg_stat_statements is loaded (shared_preload_libraries) and created in the admin database. */
  readonly statementsAvailable: boolean;
  close(): Promise<void>;
}

/**
 * Reads the server's counters for the databases whose names match `databases` (LIKE pattern).
 * Cumulative statistics reach the shared view when a backend flushes them — at most every second
 * while busy, within 10 s once idle — so a delta is only whole once `statsSettleMs` has passed
 * after the work; pg_stat_statements and transaction ids are immediate.
 *
 * @example
 *   const reader = await openDbStats(adminUrl);
 *   const before = await reader.read();
 *   // … the work …
 *   const work = perOrder(before, await reader.read(), confirmed);
 */
export async function openDbStats(adminUrl: string, databases = "tessera\\_%"): Promise<DbStatsReader> {
  const db = createDb({ connectionString: adminUrl, max: 1, applicationName: "tessera-bench-stats" });
  const version = Number(
    (await db.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v,
  );
  const statementsAvailable =
    (await db.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")).rows.length > 0;
  const walSql =
    version >= 180_000
      ? "SELECT coalesce(sum(fsyncs), 0)::bigint::text AS n FROM pg_stat_io WHERE object = 'wal'"
      : "SELECT wal_sync::text AS n FROM pg_stat_wal";
  const perDb = async (sql: string) =>
    new Map(
      (await db.query<{ name: string; n: string }>(sql, [databases])).rows.map(
        (r) => [r.name, Number(r.n)] as const,
      ),
    );
  return {
    statementsAvailable,
    async read() {
      const at = performance.now();
      const xid = await db.query<{ n: string }>("SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS n");
      const commits = await perDb(
        "SELECT datname AS name, xact_commit::text AS n FROM pg_stat_database WHERE datname LIKE $1",
      );
      const statements = statementsAvailable
        ? await perDb(
            // Less what triggers run when a transaction commits (deferred constraint triggers,
            // foreign-key checks): the server counts those at the top level, but no client sent them.
            `SELECT d.datname AS name, sum(s.calls)::text AS n
               FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
              WHERE d.datname LIKE $1
                AND s.query NOT LIKE '%NEW.%' AND s.query NOT LIKE '%FROM ONLY % FOR KEY SHARE OF %'
              GROUP BY d.datname`,
          )
        : undefined;
      const evicted = statementsAvailable
        ? Number(
            (await db.query<{ n: string }>("SELECT dealloc::text AS n FROM pg_stat_statements_info")).rows[0]
              ?.n,
          )
        : undefined;
      const wal = await db.query<{ n: string }>(walSql);
      return {
        at,
        nextXid: BigInt(xid.rows[0]!.n),
        commits,
        statements,
        evicted,
        walFsyncs: Number(wal.rows[0]?.n ?? 0),
      };
    },
    close: () => db.close(),
  };
}

/** What happened between two snapshots, per order. Databases created in between count from zero. */
export function perOrder(before: DbSnapshot, after: DbSnapshot, orders: number): DbWork {
  const per = (n: number) => n / Math.max(orders, 1);
  const delta = (a: Map<string, number>, b: Map<string, number>, name: string) =>
    (a.get(name) ?? 0) - (b.get(name) ?? 0);
  const names = [...after.commits.keys()].sort();
  const perDatabase = names.map((database) => ({
    database,
    commits: per(delta(after.commits, before.commits, database)),
    roundTrips:
      after.statements && before.statements
        ? per(delta(after.statements, before.statements, database))
        : undefined,
  }));
  const sum = (values: (number | undefined)[]) =>
    values.some((v) => v === undefined) ? undefined : values.reduce<number>((s, v) => s + (v ?? 0), 0);
  return {
    orders,
    windowSeconds: (after.at - before.at) / 1_000,
    writeTransactions: per(Number(after.nextXid - before.nextXid)),
    roundTrips: sum(perDatabase.map((d) => d.roundTrips)),
    commits: sum(perDatabase.map((d) => d.commits)) ?? 0,
    walFsyncs: per(after.walFsyncs - before.walFsyncs),
    perDatabase,
    evicted: (after.evicted ?? 0) - (before.evicted ?? 0),
  };
}

/** The four figures, per order or per second. */
export interface DbFigures {
  writeTransactions: number;
  roundTrips: number | undefined;
  commits: number;
  walFsyncs: number;
}

/** What the system does with no orders (relays polling, periodic jobs), per second between two reads. */
export function idleRate(before: DbSnapshot, after: DbSnapshot): DbFigures {
  const { windowSeconds, writeTransactions, roundTrips, commits, walFsyncs } = perOrder(before, after, 1);
  const per = (n: number) => n / Math.max(windowSeconds, 0.001);
  return {
    writeTransactions: per(writeTransactions),
    roundTrips: roundTrips === undefined ? undefined : per(roundTrips),
    commits: per(commits),
    walFsyncs: per(walFsyncs),
  };
}

/**
 * `work` less the idle system's background over the same window, per order: an estimate of the
 * orders' own cost (background work under load is not exactly the idle one), never below zero.
 */
export function netOfIdle(work: DbWork, idle: DbFigures): DbFigures {
  const net = (perOrder: number, perSecond: number) =>
    Math.max(0, perOrder - (perSecond * work.windowSeconds) / Math.max(work.orders, 1));
  return {
    writeTransactions: net(work.writeTransactions, idle.writeTransactions),
    roundTrips:
      work.roundTrips === undefined || idle.roundTrips === undefined
        ? undefined
        : net(work.roundTrips, idle.roundTrips),
    commits: net(work.commits, idle.commits),
    walFsyncs: net(work.walFsyncs, idle.walFsyncs),
  };
}
