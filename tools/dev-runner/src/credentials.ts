import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createServiceToken, type TokenSource } from "@tessera/kit";

/**
 * Passwords of the database roles, generated once and kept in the data directory (mode 0600), so
 * a cluster initialised yesterday still opens today and a developer can look them up for psql.
 * Returns one password per requested role, creating the missing ones.
 */
export async function rolePasswords(file: string, roles: readonly string[]): Promise<Record<string, string>> {
  return (await storedSecrets(file, roles)).values;
}

/** The name, in credentials.json, of the secret of identity's confidential client `clientId`. */
export const clientSecretKey = (clientId: string): string => `identity:client:${clientId}`;

/**
 * The secret identity knows a tool's or a service's client by (`tessera-checker`, `svc-orders`),
 * as the runner generated it into `<dataDir>/credentials.json`; an error when there is none.
 */
export async function clientSecret(dataDir: string, clientId: string): Promise<string> {
  const secret = (await readPasswords(join(dataDir, "credentials.json")))[clientSecretKey(clientId)];
  if (!secret)
    throw new Error(`${dataDir}/credentials.json holds no secret for ${clientId}: start the system once`);
  return secret;
}

export interface StoredSecrets {
  /** One secret per requested name. */
  values: Record<string, string>;
  /** The names whose secret this call generated. */
  created: string[];
}

/**
 * Random secrets by name (24 base64url characters), generated once and kept in a JSON file of the
 * data directory (mode 0600): role passwords, identity's admin password and client secrets, the
 * token command's users. Returns one per requested name, creating the missing ones.
 *
 * @example
 *   const { values, created } = await storedSecrets(".data/credentials.json", ["identity:admin"]);
 */
export async function storedSecrets(file: string, names: readonly string[]): Promise<StoredSecrets> {
  const stored = await readPasswords(file);
  const created = names.filter((name) => stored[name] === undefined);
  for (const name of created) stored[name] = randomBytes(18).toString("base64url");
  if (created.length > 0) {
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  }
  return { values: Object.fromEntries(names.map((name) => [name, stored[name] ?? ""])), created };
}

async function readPasswords(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null) throw new Error(`${file} is not a JSON object`);
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

/**
 * The client-credentials token source of a tool client (`tessera-checker`, `tessera-bench`: roles
 * service and admin) of the system whose gateway is at `gatewayUrl`, through its public `/oidc`.
 *
 * @example
 *   const credentials = await toolCredentials("http://127.0.0.1:8080/", ".data", "tessera-checker");
 *   const inventory = createClient(InventoryService, address, { credentials });
 */
export async function toolCredentials(
  gatewayUrl: string,
  dataDir: string,
  clientId: string,
): Promise<TokenSource> {
  const issuer = new URL("/oidc", gatewayUrl).href;
  return createServiceToken({
    tokenUrl: `${issuer}/token`,
    issuer,
    clientId,
    clientSecret: await clientSecret(dataDir, clientId),
  });
}
