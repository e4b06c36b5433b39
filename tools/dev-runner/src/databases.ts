import { createPgClient } from "@tessera/kit";
import type pg from "pg";

/** A service's own database and the role that owns it. */
export interface DatabaseGrant {
  role: string;
  database: string;
  password: string;
}

const DUPLICATE_OBJECT = "42710";
const DUPLICATE_DATABASE = "42P04";

/**
 * Creates, if missing, each role (LOGIN, with its password) and a database it owns; sets the
 * password again when the role exists. Other services' roles cannot connect to it: data crosses
 * service boundaries only through RPC and events.
 */
export async function ensureDatabases(adminUrl: string, grants: readonly DatabaseGrant[]): Promise<void> {
  const admin = createPgClient({ connectionString: adminUrl, application_name: "tessera-dev-runner" });
  await admin.connect();
  try {
    for (const grant of grants) await ensureDatabase(admin, grant);
  } finally {
    await admin.end();
  }
}

async function ensureDatabase(admin: pg.Client, { role, database, password }: DatabaseGrant): Promise<void> {
  const roleName = admin.escapeIdentifier(role);
  const databaseName = admin.escapeIdentifier(database);
  const credentials = `LOGIN PASSWORD ${admin.escapeLiteral(password)}`;
  const roles = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
  if (roles.rowCount === 0) {
    // Another runner may create it between the check and here; that is fine.
    await ignoring(DUPLICATE_OBJECT, admin.query(`CREATE ROLE ${roleName} ${credentials}`));
  }
  await admin.query(`ALTER ROLE ${roleName} ${credentials}`);
  const databases = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
  if (databases.rowCount === 0) {
    await ignoring(DUPLICATE_DATABASE, admin.query(`CREATE DATABASE ${databaseName} OWNER ${roleName}`));
  }
  await admin.query(`ALTER DATABASE ${databaseName} OWNER TO ${roleName}`);
  await admin.query(`REVOKE ALL ON DATABASE ${databaseName} FROM PUBLIC`);
}

/** The URL a service connects with: the server of `serverUrl`, the grant's role and database. */
export function databaseUrl(serverUrl: string, { role, database, password }: DatabaseGrant): string {
  const url = new URL(serverUrl);
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

async function ignoring(code: string, query: Promise<unknown>): Promise<void> {
  try {
    await query;
  } catch (error) {
    if ((error as { code?: string }).code !== code) throw error;
  }
}
