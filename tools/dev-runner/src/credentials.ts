import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";

/**
 * Passwords of the database roles, generated once and kept in the data directory (mode 0600), so
 * a cluster initialised yesterday still opens today and a developer can look them up for psql.
 * Returns one password per requested role, creating the missing ones.
 */
export async function rolePasswords(file: string, roles: readonly string[]): Promise<Record<string, string>> {
  const stored = await readPasswords(file);
  const missing = roles.filter((role) => stored[role] === undefined);
  for (const role of missing) stored[role] = randomBytes(18).toString("base64url");
  if (missing.length > 0) {
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  }
  return Object.fromEntries(roles.map((role) => [role, stored[role] ?? ""]));
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
