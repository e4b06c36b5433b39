import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { rolePasswords } from "./credentials.ts";
import { databaseUrl, ensureDatabases } from "./databases.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.ts";
import { databaseName, type PlannedService } from "./service-plan.ts";

export interface DatabaseSetupOptions {
  services: readonly PlannedService[];
  /** Runner state: `postgres/` (the cluster), `postgres.log`, `credentials.json`. */
  dataDir: string;
  /** The embedded server's port (offset applied). */
  pgPort: number;
  /** An external server's admin URL: used instead of the embedded server. */
  pgUrl: string | undefined;
  progress: (text: string) => void;
  /** A line the embedded server logged that the user should see (FATAL, PANIC). */
  onServerLine: (line: string) => void;
  /**
   * Called as soon as the embedded server runs, so it is stopped even if a later step fails, with
   * how to start it again on the same directory and port (after it died).
   */
  onServerStarted: (server: EmbeddedPostgres, startAgain: () => Promise<EmbeddedPostgres>) => void;
}

export interface DatabaseSetup {
  /** `DATABASE_URL` for each service whose database the runner created. */
  urls: ReadonlyMap<string, string>;
  /** The embedded server, when one was started. */
  server: EmbeddedPostgres | undefined;
  /** Closes the embedded server's log file (after the server stopped). */
  close(): void;
}

const SUPERUSER = "postgres";

/**
 * Makes every database the services need: starts the embedded server (unless `pgUrl` names an
 * external one), then creates a role and a database per service. Services given their own
 * `DATABASE_URL_<SERVICE>` get nothing created.
 */
export async function setUpDatabases(options: DatabaseSetupOptions): Promise<DatabaseSetup> {
  // Replicas of a service share its database.
  const needed = [
    ...new Set(
      options.services.filter((service) => service.database === "create").map((service) => service.service),
    ),
  ];
  if (needed.length === 0) return { urls: new Map(), server: undefined, close() {} };
  const embedded = options.pgUrl === undefined;
  const passwords = await rolePasswords(join(options.dataDir, "credentials.json"), [
    ...(embedded ? [SUPERUSER] : []),
    ...needed,
  ]);
  let server: EmbeddedPostgres | undefined;
  let log: WriteStream | undefined;
  const close = () => log?.end();
  try {
    let adminUrl: string;
    if (options.pgUrl === undefined) {
      const file = createWriteStream(join(options.dataDir, "postgres.log"), { flags: "a" });
      log = file;
      const start = () => {
        let started = false;
        return startEmbeddedPostgres({
          dataDir: join(options.dataDir, "postgres"),
          port: options.pgPort,
          adminPassword: passwords[SUPERUSER] ?? "",
          onProgress: options.progress,
          onLog: (line) => {
            file.write(`${line}\n`);
            // Refused connections while it starts up are expected, and so is every backend of a
            // server that died saying so; in between, a FATAL is news.
            if (started && /\b(FATAL|PANIC):/.test(line)) options.onServerLine(line);
          },
        }).then((running) => {
          started = true;
          void running.exited.then(() => (started = false));
          return running;
        });
      };
      server = await start();
      options.onServerStarted(server, start);
      options.progress(`PostgreSQL is up (log: ${join(options.dataDir, "postgres.log")})`);
      adminUrl = server.adminUrl;
    } else {
      adminUrl = options.pgUrl;
      options.progress(`using the PostgreSQL server at ${redacted(adminUrl)}`);
    }
    const grants = needed.map((role) => ({
      role,
      database: databaseName(role),
      password: passwords[role] ?? "",
    }));
    options.progress(`creating databases and roles: ${grants.map((grant) => grant.database).join(", ")}…`);
    await ensureDatabases(adminUrl, grants);
    return {
      urls: new Map(grants.map((grant) => [grant.role, databaseUrl(adminUrl, grant)])),
      server,
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}

function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}
