import { findFreePort } from "@tessera/dev-runner/ports";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "@tessera/dev-runner/embedded-postgres";
import { createDb } from "@tessera/kit";

export interface BenchPostgres {
  server: EmbeddedPostgres;
  /** Why round trips cannot be counted, when pg_stat_statements could not be loaded. */
  statementsUnavailable?: string;
}

/**
 * The bench's PostgreSQL server (embedded binaries, a fresh cluster in `dataDir`), with
 * pg_stat_statements preloaded so SQL round trips can be counted: the runner's launcher takes no
 * server settings, so the bench sets `shared_preload_libraries` with ALTER SYSTEM (kept in the
 * cluster's postgresql.auto.conf) and restarts once. Without the extension the server runs as is.
 */
export async function startBenchPostgres(
  dataDir: string,
  progress: (line: string) => void,
): Promise<BenchPostgres> {
  const start = async () =>
    startEmbeddedPostgres({
      dataDir,
      port: await findFreePort(),
      adminPassword: "bench",
      onProgress: progress,
    });
  const first = await start();
  const admin = (server: EmbeddedPostgres) =>
    createDb({ connectionString: server.adminUrl, max: 1, applicationName: "tessera-bench" });
  let db = admin(first);
  try {
    const available = await db.query(
      "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'",
    );
    if (available.rows.length === 0) {
      return { server: first, statementsUnavailable: "these PostgreSQL binaries ship no pg_stat_statements" };
    }
    await db.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
    // Top-level statements only: each is one round trip from a client (BEGIN and COMMIT included).
    await db.query("ALTER SYSTEM SET pg_stat_statements.track = 'top'");
    await db.query("ALTER SYSTEM SET pg_stat_statements.track_utility = 'on'");
  } finally {
    await db.close();
  }
  progress("restarting PostgreSQL with pg_stat_statements preloaded…");
  await first.stop();
  // If the library would not load, the server does not start and the bench fails with its log.
  const server = await start();
  db = admin(server);
  try {
    await db.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  } finally {
    await db.close();
  }
  return { server };
}
